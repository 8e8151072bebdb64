package io.pm500.runtime.internal;

import io.pm500.kit.config.ConfigValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
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
 * Who may use the Web Console: the administrator (user name from configuration, password kept only as a PBKDF2 hash
 * in {@code <data>/console/credentials}) and, once given a password, a read-only viewer ({@code viewer-credentials}).
 * On first start a random administrator password is generated and printed once on the terminal (unless the framework
 * property {@value #GENERATE_PROPERTY} is false: then {@link SetPassword} sets it on the machine). Setting a new
 * password in this component's configuration re-hashes it and removes the clear text from the configuration.
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
    static final String VIEWER_PASSWORD = ".viewerPassword";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleLogin.class);
    private static final char[] ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();
    private static final int GENERATED_LENGTH = 20;
    /** Framework property: {@code false} keeps the console closed until {@code pm500 set-password} sets one. */
    static final String GENERATE_PROPERTY = "pm500.console.generatePassword";

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

        @AttributeDefinition(name = "Viewer user name", description = "Login name of the read-only account: it sees"
                + " every page and configuration (secrets masked) and can change nothing.")
        String viewerUsername() default "viewer";

        /** Property {@value #VIEWER_PASSWORD}. */
        @AttributeDefinition(name = "New viewer password", type = AttributeType.PASSWORD,
                description = "Set (at least " + MIN_PASSWORD_LENGTH + " characters) to enable the viewer account or"
                        + " change its password; hashed into <data>/console/viewer-credentials and removed from this"
                        + " configuration. Leave empty to keep it; without one the viewer cannot log in.")
        String _viewerPassword() default "";
    }

    /** Who is logged in; a viewer may only read. */
    record User(String name, boolean admin) {
    }

    private final SecureRandom random = new SecureRandom();
    private final ConfigurationAdmin configAdmin;
    private final AuditLog audit;
    private final CredentialStore store;
    private final CredentialStore viewerStore;
    /** False under the Debian package's unit: there a password printed on standard output would land in the journal. */
    private final boolean generate;
    private volatile Names names = new Names("admin", "viewer");
    /** Empty while no administrator password is set (the console is closed); the administrator first. */
    private volatile List<Credentials> credentials = List.of();
    /** What the credential files looked like when last read: {@code pm500 set-password} replaces them. */
    private volatile List<Object> loadedStamp = List.of();
    /** SHA-256 of the last Authorization header that passed PBKDF2, so page resources do not pay for it again. */
    private volatile Verified verified = new Verified(new byte[0], null, List.of());

    private record Names(String admin, String viewer) {
    }

    private record Credentials(User user, PasswordHash hash) {
    }

    /** {@code of}: the credentials it was verified against; a reload since then voids it. */
    private record Verified(byte[] digest, User user, List<Credentials> of) {
    }

    @Activate
    public ConsoleLogin(BundleContext context, @Reference ConfigurationAdmin configAdmin, @Reference AuditLog audit,
            Map<String, Object> properties) throws IOException {
        this.configAdmin = configAdmin;
        this.audit = audit;
        Path dir = Layout.of(context).data().resolve("console");
        this.store = new CredentialStore(dir.resolve("credentials"));
        this.viewerStore = new CredentialStore(dir.resolve("viewer-credentials"));
        this.generate = !"false".equalsIgnoreCase(context.getProperty(GENERATE_PROPERTY));
        configure(properties);
    }

    @Modified
    void configure(Map<String, Object> properties) throws IOException {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        String username;
        String viewer;
        try {
            username = checkName(config.username(), "username");
            viewer = checkName(config.viewerUsername(), "viewerUsername");
            if (viewer.equals(username)) {
                throw new IllegalArgumentException("configuration " + PID + ": viewerUsername '" + viewer + "' is"
                        + " the administrator's name; choose another");
            }
        } catch (IllegalArgumentException e) {
            if (loadedStamp.isEmpty()) {
                LOG.error("{}; the Web Console stays closed until it is fixed", e.getMessage());
                throw e;
            }
            // a bad change must not lock everyone out: the current names and passwords stay
            LOG.error("{}; the current login names stay", e.getMessage());
            return;
        }
        if (!config._password().isEmpty()) {
            changePassword(store, username, config._password(), PASSWORD);
        }
        if (!config._viewerPassword().isEmpty()) {
            changePassword(viewerStore, viewer, config._viewerPassword(), VIEWER_PASSWORD);
        }
        names = new Names(username, viewer);
        load();
    }

    private static String checkName(String name, String key) {
        String trimmed = name.trim();
        if (trimmed.isEmpty() || trimmed.contains(":")) {
            throw new IllegalArgumentException("configuration " + PID + ": " + key + " '" + name + "' is invalid:"
                    + " set a non-empty name without ':'");
        }
        return trimmed;
    }

    /** Hashes a new password into its file (a too short one is refused with the reason) and scrubs the clear text. */
    private void changePassword(CredentialStore target, String username, String password, String property)
            throws IOException {
        if (password.length() < MIN_PASSWORD_LENGTH) {
            LOG.error("Web Console password of '{}' not changed: the new one is shorter than {} characters; set a"
                    + " longer one in configuration '{}'", username, MIN_PASSWORD_LENGTH, PID);
        } else {
            target.store(PasswordHash.create(password.toCharArray(), random));
            audit.change("password.change", username);
            LOG.info("Web Console password of '{}' changed; its hash is stored in {}", username, target.file());
        }
        // Only after the store: scrubbing triggers @Modified, which reads the stored hash.
        scrubFromConfiguration(property);
    }

    /** The clear-text password must not stay in Config Admin. */
    private void scrubFromConfiguration(String property) throws IOException {
        Configuration configuration = configAdmin.getConfiguration(PID, "?");
        Dictionary<String, Object> properties = configuration.getProperties();
        if (properties != null && properties.get(property) != null) {
            properties.remove(property);
            configuration.update(properties);
        }
    }

    /** Reads both credential files; without an administrator hash one is generated, or the console stays closed. */
    private synchronized void load() throws IOException {
        List<Object> stamp = stamps(); // before reading: a change meanwhile is seen at the next request
        Names n = names;
        PasswordHash admin = store.load().orElse(null);
        if (admin == null && generate) {
            admin = generatePassword(n.admin());
        }
        List<Credentials> all = new ArrayList<>();
        if (admin != null) {
            all.add(new Credentials(new User(n.admin(), true), admin));
            viewerStore.load().ifPresent(h -> all.add(new Credentials(new User(n.viewer(), false), h)));
        } else if (loadedStamp.isEmpty() || !credentials.isEmpty()) {
            LOG.error("Web Console closed: no password is set for '{}' ({} does not exist). Set one on this machine"
                    + " with 'sudo pm500 set-password'; no restart is needed", n.admin(), store.file());
        }
        credentials = List.copyOf(all);
        verified = new Verified(new byte[0], null, List.of());
        loadedStamp = stamp;
    }

    /**
     * Takes credential files replaced on the machine ({@code pm500 set-password}) at the next request: two file
     * attribute reads per request, no restart and no clear text anywhere.
     */
    private List<Credentials> current() {
        if (!stamps().equals(loadedStamp)) {
            reload();
        }
        return credentials;
    }

    private List<Object> stamps() {
        return List.of(store.stamp(), viewerStore.stamp());
    }

    /** Once per replacement however many requests see it: each new password is logged and audited once. */
    private synchronized void reload() {
        if (stamps().equals(loadedStamp)) {
            return;
        }
        List<Credentials> before = credentials;
        try {
            load();
        } catch (IOException e) {
            loadedStamp = stamps(); // said once, not per request
            LOG.error("Web Console: the credential files changed but cannot be read ({}); the previous logins stay",
                    e.getMessage());
            return;
        }
        for (Credentials c : credentials) {
            if (before.stream().noneMatch(b -> b.user().equals(c.user()) && b.hash().sameAs(c.hash()))) {
                LOG.info("Web Console password of '{}' was set on this machine; in use from now on", c.user().name());
                audit.change("password.change", c.user().name());
            }
        }
    }

    /** Whether an administrator password is set; without one no one can log in and the console says how to set it. */
    boolean open() {
        return !current().isEmpty();
    }

    /**
     * A first start's password goes to the terminal (standard output) only, never through logging: log files are
     * kept for days and read by more people than the one who installs the gateway.
     */
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
        System.out.printf("%nPM500 Web Console first start: generated password for user '%s': %s%n"
                + "  Shown only this once, on this terminal; it is not written to any log.%n%n", username,
                new String(password));
        System.out.flush();
        LOG.warn("Web Console first start: a password for user '{}' was generated and printed on the terminal only"
                + " (standard output, not the log); its hash is stored in {}. To change it, set 'New password' under"
                + " Configuration > 'PM500 Web Console login', or delete that file and restart.", username,
                store.file());
        Arrays.fill(password, '\0');
        return hash;
    }

    /**
     * Checks an HTTP Basic {@code Authorization} header.
     *
     * @return the user when the credentials are right, else {@code null}
     */
    User authenticate(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        List<Credentials> all = current(); // first: a password replaced on the machine ends the cached login
        if (all.isEmpty()) {
            return null;
        }
        byte[] digest = sha256(header);
        Verified last = verified;
        if (last.user() != null && last.of() == all && MessageDigest.isEqual(digest, last.digest())) {
            return last.user();
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
        byte[] name = decoded.substring(0, colon).getBytes(StandardCharsets.UTF_8);
        char[] password = decoded.substring(colon + 1).toCharArray();
        for (Credentials c : all) {
            if (MessageDigest.isEqual(name, c.user().name().getBytes(StandardCharsets.UTF_8))) {
                if (c.hash().matches(password)) {
                    verified = new Verified(digest, c.user(), all);
                    return c.user();
                }
                return null;
            }
        }
        all.get(0).hash().matches(password); // an unknown name costs what a known one does
        return null;
    }

    /** Whether this header is the one last verified: a new login is one that needed PBKDF2. */
    boolean isKnown(String header) {
        Verified last = verified;
        return header != null && last.user() != null && MessageDigest.isEqual(sha256(header), last.digest());
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
