package io.pm500.runtime.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Dictionary;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the Web Console: the user name from configuration and a password kept only as a PBKDF2 hash in
 * {@code <data>/console/credentials}. On first start a random password is generated and printed once. Setting
 * "New password" in this component's configuration re-hashes it and removes the clear text from the configuration.
 *
 * <p>Kept apart from {@link ConsoleSecurity}: a configuration change modifies this service, and the Web Console
 * takes itself offline whenever its security provider service is modified.
 */
@Component(service = ConsoleLogin.class, configurationPid = ConsoleLogin.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ConsoleLogin.Config.class)
public final class ConsoleLogin {
    static final String PID = "pm500.console";
    static final int MIN_PASSWORD_LENGTH = 12;
    static final String PASSWORD = ".password";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleLogin.class);
    private static final char[] ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();
    private static final int GENERATED_LENGTH = 20;

    @ObjectClassDefinition(name = "PM500 Web Console login",
            description = "Who may use this Web Console. The password is stored only as a hash in"
                    + " <data>/console/credentials.")
    public @interface Config {
        @AttributeDefinition(name = "User name", description = "Login name for the Web Console.")
        String username() default "admin";

        /** Property {@value #PASSWORD}: private (leading dot), so it never becomes a service property. */
        @AttributeDefinition(name = "New password", type = AttributeType.PASSWORD,
                description = "Enter a new password (at least " + MIN_PASSWORD_LENGTH + " characters) and save: it"
                        + " is hashed into the credentials file and removed from this configuration. Leave empty to"
                        + " keep the current password.")
        String _password() default "";
    }

    private final SecureRandom random = new SecureRandom();
    private final ConfigurationAdmin configAdmin;
    private final CredentialStore store;
    private volatile Credentials credentials;
    /** SHA-256 of the last Authorization header that passed PBKDF2, so page resources do not pay for it again. */
    private volatile byte[] verifiedHeader = new byte[0];

    private record Credentials(String username, PasswordHash hash) {
    }

    @Activate
    public ConsoleLogin(BundleContext context, @Reference ConfigurationAdmin configAdmin, Config config)
            throws IOException {
        this.configAdmin = configAdmin;
        this.store = new CredentialStore(Layout.of(context).data().resolve("console").resolve("credentials"));
        configure(config);
    }

    @Modified
    void configure(Config config) throws IOException {
        String username = config.username().trim();
        if (username.isEmpty() || username.contains(":")) {
            throw new IllegalArgumentException("Web Console user name '" + config.username()
                    + "' is invalid: set a non-empty name without ':' in configuration " + PID);
        }
        PasswordHash hash;
        if (!config._password().isEmpty()) {
            hash = changePassword(username, config._password());
        } else {
            hash = store.load().orElseGet(() -> generatePassword(username));
        }
        credentials = new Credentials(username, hash);
        verifiedHeader = new byte[0];
    }

    private PasswordHash changePassword(String username, String password) throws IOException {
        PasswordHash hash;
        if (password.length() < MIN_PASSWORD_LENGTH) {
            LOG.error("Web Console password not changed: the new one is shorter than {} characters; set a longer"
                    + " one in configuration '{}'", MIN_PASSWORD_LENGTH, PID);
            hash = store.load().orElseGet(() -> generatePassword(username));
        } else {
            hash = PasswordHash.create(password.toCharArray(), random);
            store.store(hash);
            LOG.info("Web Console password changed; its hash is stored in {}", store.file());
        }
        // Only after the store: scrubbing triggers @Modified, which reads the stored hash.
        scrubPasswordFromConfiguration();
        return hash;
    }

    /** The clear-text password must not stay in Config Admin (nor in a conf/ file FileInstall writes back). */
    private void scrubPasswordFromConfiguration() throws IOException {
        Configuration configuration = configAdmin.getConfiguration(PID, "?");
        Dictionary<String, Object> properties = configuration.getProperties();
        if (properties != null && properties.get(PASSWORD) != null) {
            properties.remove(PASSWORD);
            configuration.update(properties);
        }
    }

    private PasswordHash generatePassword(String username) {
        char[] password = new char[GENERATED_LENGTH];
        for (int i = 0; i < password.length; i++) {
            password[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        PasswordHash hash = PasswordHash.create(password, random);
        try {
            store.store(hash);
        } catch (IOException e) {
            throw new IllegalStateException("cannot store the Web Console password hash in " + store.file()
                    + ": make its directory writable by the gateway's user", e);
        }
        LOG.warn("Web Console first start: generated password for user '{}': {}  -- it is shown only this once;"
                + " its hash is stored in {}. To change it, set 'New password' under Configuration > 'PM500 Web"
                + " Console login', or delete that file and restart.", username, new String(password), store.file());
        Arrays.fill(password, '\0');
        return hash;
    }

    /**
     * Checks an HTTP Basic {@code Authorization} header.
     *
     * @return the user name when the credentials are right, else {@code null}
     */
    String authenticate(String header) {
        return header != null && header.regionMatches(true, 0, "Basic ", 0, 6) ? check(header, credentials) : null;
    }

    private String check(String header, Credentials current) {
        byte[] digest = sha256(header);
        if (MessageDigest.isEqual(digest, verifiedHeader)) {
            return current.username();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return null;
        }
        boolean userOk = MessageDigest.isEqual(decoded.substring(0, colon).getBytes(StandardCharsets.UTF_8),
                current.username().getBytes(StandardCharsets.UTF_8));
        boolean passwordOk = current.hash().matches(decoded.substring(colon + 1).toCharArray());
        if (userOk && passwordOk) {
            verifiedHeader = digest;
            return current.username();
        }
        return null;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
