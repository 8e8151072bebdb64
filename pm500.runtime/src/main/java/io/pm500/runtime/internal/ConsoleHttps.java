package io.pm500.runtime.internal;

import io.pm500.kit.config.ConfigValues;
import io.pm500.kit.config.SettingFiles;
import io.pm500.kit.tls.PemTls;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.ComponentConstants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the Web Console over HTTPS from a PEM certificate and key: converts them into a PKCS#12 key store in
 * {@code <data>/console/https.p12} (owner-only) and sets the HTTPS settings of the HTTP service (Config Admin
 * {@code org.apache.felix.http}, the only way to give them to Jetty at run time); deleting this configuration takes
 * them out again. The certificate's digest is part of those settings, so a renewed certificate restarts Jetty.
 */
@Component(configurationPid = ConsoleHttps.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {},
        immediate = true)
@Designate(ocd = ConsoleHttps.Config.class)
public final class ConsoleHttps {
    static final String PID = "pm500.console.https";
    static final String HTTP_PID = "org.apache.felix.http";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleHttps.class);
    /** The HTTP service's settings this component owns. */
    static final List<String> OWNED = List.of("org.apache.felix.https.enable", "org.osgi.service.http.port.secure",
            "org.apache.felix.https.keystore", "org.apache.felix.https.keystore.type",
            "org.apache.felix.https.keystore.password", "org.apache.felix.https.keystore.key.password",
            "org.apache.felix.http.enable", "pm500.https.certificate.sha256");

    @ObjectClassDefinition(name = "PM500 Web Console HTTPS", description = "Serve the Web Console over TLS with a"
            + " PEM certificate and key. Delete this configuration to go back to plain HTTP.")
    public @interface Config {
        @AttributeDefinition(name = "HTTPS port")
        int port() default 8443;

        @AttributeDefinition(name = "Certificate file", description = "PEM: the server certificate first, then its"
                + " issuers.")
        String certFile();

        @AttributeDefinition(name = "Key file", description = "PEM, unencrypted PKCS#8 (-----BEGIN PRIVATE KEY-----);"
                + " readable only by the gateway's user.")
        String keyFile();

        @AttributeDefinition(name = "Keep plain HTTP", description = "Also serve plain HTTP on"
                + " org.osgi.service.http.port (off: HTTPS only).")
        boolean plainHttp() default false;
    }

    private final ConfigurationAdmin configAdmin;
    private final Path keyStore;
    private final String host;

    @Activate
    public ConsoleHttps(BundleContext context, @Reference ConfigurationAdmin configAdmin,
            Map<String, Object> properties) throws IOException {
        this.configAdmin = configAdmin;
        this.keyStore = Layout.of(context).data().resolve("console").resolve("https.p12");
        this.host = Objects.requireNonNullElse(context.getProperty("org.apache.felix.http.host"), "0.0.0.0");
        configure(properties);
    }

    @Modified
    void configure(Map<String, Object> properties) throws IOException {
        Config c = ConfigValues.read(properties, Config.class, LOG);
        String name = ConfigValues.name(properties);
        if (c.port() < 1 || c.port() > 65_535) {
            throw refused(name + ": port " + c.port() + " must be 1..65535 (e.g. 8443)");
        }
        Path cert;
        Path key;
        try {
            cert = SettingFiles.optionalFile("console https", "certFile", c.certFile());
            key = SettingFiles.optionalFile("console https", "keyFile", c.keyFile());
            if (cert == null || key == null) {
                throw new IllegalArgumentException("certFile and keyFile are both required");
            }
            PemTls.validityProblem("console https", "certFile", cert, Instant.now()).ifPresent(LOG::warn);
        } catch (IllegalArgumentException e) {
            throw refused(name + ": " + e.getMessage());
        }
        Configuration http = configAdmin.getConfiguration(HTTP_PID, "?");
        Dictionary<String, Object> settings = http.getProperties() == null ? new Hashtable<>() : http.getProperties();
        String password = settings.get("org.apache.felix.https.keystore.password") instanceof String p ? p
                : newPassword();
        try {
            writeKeyStore(PemTls.keyStore("console https", cert, key, password.toCharArray()), password);
        } catch (IllegalArgumentException e) {
            throw refused(name + ": " + e.getMessage());
        }
        Dictionary<String, Object> wanted = new Hashtable<>();
        for (String k : Collections.list(settings.keys())) {
            wanted.put(k, settings.get(k));
        }
        wanted.put("org.apache.felix.https.enable", true);
        wanted.put("org.osgi.service.http.port.secure", c.port());
        wanted.put("org.apache.felix.https.keystore", keyStore.toString());
        wanted.put("org.apache.felix.https.keystore.type", "PKCS12");
        wanted.put("org.apache.felix.https.keystore.password", password);
        wanted.put("org.apache.felix.https.keystore.key.password", password);
        wanted.put("org.apache.felix.http.enable", c.plainHttp());
        wanted.put("pm500.https.certificate.sha256", digest(cert, key));
        if (!same(settings, wanted)) {
            http.update(wanted); // Jetty restarts with the new settings
        }
        LOG.info("Web Console over HTTPS: https://{}:{}/system/console (certificate {}){}", host, c.port(), cert,
                c.plainHttp() ? "; plain HTTP stays on" : "; plain HTTP off");
    }

    @Deactivate
    void deactivate(int reason) throws IOException {
        // only when this configuration is gone; a stopping gateway keeps HTTPS for its next start
        if (reason != ComponentConstants.DEACTIVATION_REASON_CONFIGURATION_DELETED
                && reason != ComponentConstants.DEACTIVATION_REASON_DISABLED) {
            return;
        }
        Configuration http = configAdmin.getConfiguration(HTTP_PID, "?");
        Dictionary<String, Object> settings = http.getProperties();
        if (settings != null) {
            OWNED.forEach(settings::remove);
            http.update(settings);
            LOG.info("Web Console: HTTPS switched off; plain HTTP on org.osgi.service.http.port");
        }
        Files.deleteIfExists(keyStore);
    }

    private static boolean same(Dictionary<String, Object> a, Dictionary<String, Object> b) {
        return OWNED.stream().allMatch(k -> Objects.equals(String.valueOf(a.get(k)), String.valueOf(b.get(k))));
    }

    private void writeKeyStore(KeyStore store, String password) throws IOException {
        Files.createDirectories(keyStore.getParent());
        Path tmp = keyStore.resolveSibling("https.p12.tmp");
        Files.deleteIfExists(tmp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        try (OutputStream out = Files.newOutputStream(tmp)) {
            store.store(out, password.toCharArray());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot write " + keyStore + ": " + e.getMessage(), e);
        }
        Files.move(tmp, keyStore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String newPassword() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String digest(Path cert, Path key) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(Files.readAllBytes(cert));
            d.update(Files.readAllBytes(key));
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static IllegalArgumentException refused(String message) {
        LOG.error("{}; the Web Console stays on its current settings", message);
        return new IllegalArgumentException(message);
    }
}
