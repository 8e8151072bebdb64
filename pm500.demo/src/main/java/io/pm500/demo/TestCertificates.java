package io.pm500.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for TLS tests: a CA, a broker certificate for {@code localhost}/127.0.0.1 and a client
 * certificate, written as PEM (what the gateway reads) and PKCS#12 (what the broker reads).
 */
public final class TestCertificates {
    public static final String PASSWORD = "changeit";

    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    private TestCertificates(Path dir, String caName) throws GeneralSecurityException, IOException {
        this.dir = Files.createDirectories(dir);
        caKeys = keys();
        ca = sign(new X500Name("CN=" + caName), caKeys, null, true);
    }

    /** A new CA named {@code caName}, files under {@code dir}. */
    public static TestCertificates create(Path dir, String caName) {
        try {
            return new TestCertificates(dir, caName);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("test PKI: " + e.getMessage(), e);
        }
    }

    /** The CA certificate as PEM. */
    public Path caPem() throws IOException {
        return pem(dir.resolve("ca.pem"), ca);
    }

    /** The CA as a PKCS#12 trust store (for a broker that checks client certificates). */
    public Path caTrustStore() throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        return store(ks, dir.resolve("ca-trust.p12"));
    }

    /** A broker key and certificate for localhost and 127.0.0.1, as a PKCS#12 key store. */
    public Path serverKeyStore() throws IOException, GeneralSecurityException {
        KeyPair k = keys();
        X509Certificate cert = sign(new X500Name("CN=localhost"), k, caKeys, false);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", k.getPrivate(), PASSWORD.toCharArray(), new X509Certificate[] { cert, ca });
        return store(ks, dir.resolve("server.p12"));
    }

    /** A broker certificate for localhost and 127.0.0.1 and its PKCS#8 key as PEM files: {@code [cert, key]}. */
    public Path[] serverPem() throws IOException, GeneralSecurityException {
        KeyPair k = keys();
        X509Certificate cert = sign(new X500Name("CN=localhost"), k, caKeys, false);
        return new Path[] { pem(dir.resolve("server-cert.pem"), cert), pemKey(dir.resolve("server-key.pem"), k) };
    }

    /** A client certificate and its PKCS#8 key as PEM files: {@code [cert, key]}. */
    public Path[] clientPem(String name) throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        return clientPem(name, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)));
    }

    /** A client certificate valid from {@code notBefore} to {@code notAfter} (an expired one, say), and its key. */
    public Path[] clientPem(String name, Instant notBefore, Instant notAfter) throws IOException,
            GeneralSecurityException {
        KeyPair k = keys();
        X509Certificate cert = sign(new X500Name("CN=" + name), k, caKeys, false, notBefore, notAfter);
        return new Path[] { pem(dir.resolve(name + "-cert.pem"), cert), pemKey(dir.resolve(name + "-key.pem"), k) };
    }

    private static Path pemKey(Path file, KeyPair k) throws IOException {
        try (StringWriter w = new StringWriter(); JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k.getPrivate(), null));
            pw.flush();
            Files.writeString(file, w.toString());
        }
        return file;
    }

    private X509Certificate sign(X500Name subject, KeyPair subjectKeys, KeyPair issuerKeys, boolean isCa)
            throws GeneralSecurityException, IOException {
        Instant now = Instant.now();
        return sign(subject, subjectKeys, issuerKeys, isCa, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)));
    }

    private X509Certificate sign(X500Name subject, KeyPair subjectKeys, KeyPair issuerKeys, boolean isCa,
            Instant notBefore, Instant notAfter) throws GeneralSecurityException, IOException {
        X500Name issuer = issuerKeys == null ? subject : new X500Name(ca.getSubjectX500Principal().getName());
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(System.nanoTime()), Date.from(notBefore), Date.from(notAfter), subject,
                subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (!isCa) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1") }));
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(
                    "SHA256withRSA").build((issuerKeys == null ? subjectKeys : issuerKeys).getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static Path pem(Path file, Object o) throws IOException {
        try (StringWriter w = new StringWriter(); JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(o);
            pw.flush();
            Files.writeString(file, w.toString());
        }
        return file;
    }

    private static Path store(KeyStore ks, Path file) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, PASSWORD.toCharArray());
        }
        return file;
    }
}
