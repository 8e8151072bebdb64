package io.pm500.fleet.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;

/**
 * One repository: {@code <url>/<channel>/index.xml} and its detached signature {@code index.xml.sig}, checked
 * against the fleet's public key before the index is parsed; artifacts downloaded to a staging file and kept only
 * when their SHA-256 and size are the index's. Conditional requests (If-None-Match) keep an unchanged index to a
 * 304 of a few hundred bytes, and a changed one travels gzipped when the server offers that; every request has a
 * timeout, so a slow repository delays only the agent.
 */
final class Repository {
    private final URI index;
    private final HttpClient http;
    private final Duration timeout;
    private String etag;
    private RepositoryIndex last;

    Repository(URI base, String channel, SSLContext tls, Duration timeout) {
        String b = base.toString().endsWith("/") ? base.toString() : base + "/";
        this.index = URI.create(b).resolve(channel + "/index.xml");
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.http = builder.build();
        this.timeout = timeout;
    }

    URI index() {
        return index;
    }

    /** The channel's current index, signature checked; the same object while the server says 304. */
    RepositoryIndex read(PublicKey key) throws IOException, InterruptedException {
        // a 700 KB index is 75 KB gzipped: 500 gateways polling it make that difference worth a header
        HttpRequest.Builder request = HttpRequest.newBuilder(index).timeout(timeout).header("Accept-Encoding", "gzip")
                .GET();
        if (etag != null && last != null) {
            request.header("If-None-Match", etag);
        }
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 304 && last != null) {
            return last;
        }
        if (response.statusCode() != 200) {
            throw new IOException(index + " answered HTTP " + response.statusCode());
        }
        byte[] xml = response.body();
        if (response.headers().firstValue("Content-Encoding").orElse("").equalsIgnoreCase("gzip")) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(xml))) {
                xml = in.readAllBytes();
            }
        }
        URI sigUri = URI.create(index + ".sig");
        HttpResponse<byte[]> sig = http.send(HttpRequest.newBuilder(sigUri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (sig.statusCode() != 200) {
            throw new IOException(sigUri + " answered HTTP " + sig.statusCode() + ": an index without its signature"
                    + " is never used");
        }
        verify(xml, sig.body(), key, index);
        RepositoryIndex parsed = RepositoryIndex.parse(xml, index);
        last = parsed;
        etag = response.headers().firstValue("ETag").orElse(null);
        return parsed;
    }

    /**
     * Downloads an artifact into {@code dir/<sha256>.jar} unless it is there; refuses one whose SHA-256 or size is
     * not the index's (the partial file is deleted).
     */
    Path download(IndexResource resource, Path dir) throws IOException, InterruptedException {
        String expected = resource.sha256();
        if (expected == null || !expected.matches("[0-9a-f]{64}")) {
            throw new NotWhatTheIndexSays(resource + ": the index gives no SHA-256 (osgi.content) for it");
        }
        Path target = dir.resolve(expected + ".jar");
        if (Files.exists(target) && sha256(target).equals(expected)) {
            return target;
        }
        Files.createDirectories(dir);
        URI url = resource.resolveUrl(index);
        Path part = dir.resolve(expected + ".part");
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException(url + " answered HTTP " + response.statusCode());
        }
        MessageDigest digest = digest();
        long size = 0;
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(part)) {
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
                size += n;
            }
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(expected) || (resource.size() >= 0 && size != resource.size())) {
            Files.deleteIfExists(part);
            throw new NotWhatTheIndexSays(resource + " from " + url + " is not what the signed index says (SHA-256 "
                    + actual + ", " + size + " bytes; the index: " + expected + ", " + resource.size()
                    + " bytes): refused");
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /** An artifact that is not the one the signed index names: the release is refused for good. */
    static final class NotWhatTheIndexSays extends IOException {
        private static final long serialVersionUID = 1L;

        NotWhatTheIndexSays(String message) {
            super(message);
        }
    }

    /** Checks the detached signature (raw bytes as openssl writes them, or their base64) with the fleet key. */
    static void verify(byte[] data, byte[] signature, PublicKey key, URI what) throws IOException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EdDSA", "Ed25519" -> "Ed25519";
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new IOException("fleet public key of type " + key.getAlgorithm() + " is not supported:"
                    + " use Ed25519, RSA or EC");
        };
        for (byte[] candidate : List.of(signature, base64OrEmpty(signature))) {
            try {
                Signature s = Signature.getInstance(algorithm);
                s.initVerify(key);
                s.update(data);
                if (candidate.length > 0 && s.verify(candidate)) {
                    return;
                }
            } catch (GeneralSecurityException e) {
                // a malformed signature: try the other form, then refuse
            }
        }
        throw new IOException("the signature of " + what + " does not verify with the fleet public key: refused");
    }

    private static byte[] base64OrEmpty(byte[] text) {
        try {
            return Base64.getMimeDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** A PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo) of type Ed25519, RSA or EC. */
    static PublicKey publicKey(Path pem) throws IOException {
        String text = Files.readString(pem);
        int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
        int end = text.indexOf("-----END PUBLIC KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException(pem + " holds no PEM 'PUBLIC KEY' (e.g. openssl pkey -in key.pem -pubout)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 26, end));
        for (String type : List.of("Ed25519", "RSA", "EC")) {
            try {
                return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // another type
            }
        }
        throw new IOException(pem + " is not an Ed25519, RSA or EC public key");
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    /** SHA-256 of what the stream holds, lower-case hex. */
    static String sha256(InputStream in) throws IOException {
        MessageDigest digest = digest();
        byte[] buffer = new byte[65536];
        for (int n; (n = in.read(buffer)) > 0;) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
