package io.pm500.kit.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS from PEM files, the form brokers, historians and plant PKIs hand out: the CA certificate(s) that sign the
 * server's certificate, and optionally a client certificate with its PKCS#8 private key. Without a CA file the JVM's
 * trust store is used. Every error names the component and the setting, and says how to fix it.
 */
public final class PemTls {
    private final String owner;

    private PemTls(String owner) {
        this.owner = owner;
    }

    /**
     * A TLS context trusting {@code caFile} (or the JVM's trust store when null) and presenting the client
     * certificate when {@code certFile} is given.
     *
     * @param owner names the component in error messages, e.g. {@code sparkplug}
     * @throws IllegalArgumentException when a file is missing, not PEM, or the key does not fit
     */
    public static SSLContext context(String owner, Path caFile, Path certFile, Path keyFile) {
        PemTls tls = new PemTls(owner);
        try {
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                char[] none = new char[0];
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(tls.keyStore(certFile, "clientCertFile", keyFile, "clientKeyFile", none), none);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] { tls.trust(caFile) }, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(owner + ": TLS setup failed: " + e.getMessage(), e);
        }
    }

    /**
     * A PKCS#12 key store holding the key in {@code keyFile} with the certificate chain in {@code certFile}, for
     * servers that read only key stores.
     *
     * @throws IllegalArgumentException when a file is missing, not PEM, or the key does not fit
     */
    public static KeyStore keyStore(String owner, Path certFile, Path keyFile, char[] password) {
        try {
            return new PemTls(owner).keyStore(certFile, "certFile", keyFile, "keyFile", password);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(owner + ": the certificate and key cannot be read: " + e.getMessage(),
                    e);
        }
    }

    private KeyStore keyStore(Path certFile, String certSetting, Path keyFile, String keySetting, char[] password)
            throws GeneralSecurityException, IOException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        List<? extends Certificate> chain = List.copyOf(certificates(certFile, certSetting));
        PrivateKey key = privateKey(keyFile, certSetting, keySetting);
        if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            throw new IllegalArgumentException(owner + ": the key in '" + keyFile + "' (" + key.getAlgorithm()
                    + ") does not belong to the certificate in '" + certFile + "'");
        }
        keys.setKeyEntry("key", key, password, chain.toArray(new Certificate[0]));
        return keys;
    }

    /**
     * What is wrong, or soon will be, with the dates of the certificate in {@code certFile} (the first one, the
     * holder's): not valid yet, expired, or expiring within 30 days — a server will refuse it, and the TLS error
     * then rarely says why. Empty when it is fine.
     *
     * @param setting the setting that names the file, for the message
     * @throws IllegalArgumentException when the file holds no PEM certificate
     */
    public static Optional<String> validityProblem(String owner, String setting, Path certFile, Instant now) {
        X509Certificate cert;
        try {
            cert = (X509Certificate) new PemTls(owner).certificates(certFile, setting).iterator().next();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(owner + ": " + setting + " '" + certFile + "' cannot be read: "
                    + e.getMessage(), e);
        }
        Instant from = cert.getNotBefore().toInstant();
        Instant until = cert.getNotAfter().toInstant();
        String who = owner + ": the certificate in " + setting + " '" + certFile + "' ("
                + cert.getSubjectX500Principal().getName() + ")";
        if (now.isBefore(from)) {
            return Optional.of(who + " is not valid before " + from + "; the server will refuse it until then (check"
                    + " this machine's clock)");
        }
        if (now.isAfter(until)) {
            return Optional.of(who + " expired on " + until + "; the server will refuse it: issue a new one");
        }
        if (now.plus(Duration.ofDays(30)).isAfter(until)) {
            return Optional.of(who + " expires on " + until + " (in " + Duration.between(now, until).toDays()
                    + " days): issue a new one before then");
        }
        return Optional.empty();
    }

    /** The trust manager for {@code caFile}, or the JVM's when null (HTTP clients want it beside the context). */
    public static X509TrustManager trustManager(String owner, Path caFile) {
        try {
            return new PemTls(owner).trust(caFile);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(owner + ": TLS setup failed: " + e.getMessage(), e);
        }
    }

    private X509TrustManager trust(Path caFile) throws GeneralSecurityException, IOException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile == null) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(caFile, "caFile")) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            tmf.init(trust);
        }
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("the JVM offers no X.509 trust manager");
    }

    private Collection<? extends Certificate> certificates(Path file, String setting)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(owner + ": " + setting + " '" + file + "' holds no certificate;"
                        + " give a PEM file with -----BEGIN CERTIFICATE----- blocks");
            }
            return certs;
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException(owner + ": " + setting + " '" + file + "' is not a PEM certificate"
                    + " file: " + e.getMessage(), e);
        }
    }

    private PrivateKey privateKey(Path file, String certSetting, String keySetting)
            throws IOException, GeneralSecurityException {
        if (file == null) {
            throw new IllegalArgumentException(owner + ": " + certSetting + " is set but " + keySetting
                    + " is empty; give the certificate's private key (PEM, PKCS#8)");
        }
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
                || pem.contains("ENCRYPTED PRIVATE KEY")) {
            throw new IllegalArgumentException(owner + ": " + keySetting + " '" + file + "' is not an unencrypted"
                    + " PKCS#8 key; convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem");
        }
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(owner + ": " + keySetting + " '" + file + "' has no -----BEGIN PRIVATE"
                    + " KEY----- block");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        for (String algorithm : new String[] { "RSA", "EC", "Ed25519" }) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException e) {
                // try the next algorithm: PKCS#8 names it inside, but KeyFactory wants it up front
            }
        }
        throw new IllegalArgumentException(owner + ": " + keySetting + " '" + file + "' is not an RSA, EC or Ed25519"
                + " key");
    }
}
