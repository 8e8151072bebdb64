package io.pm500.runtime.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.felix.cm.PersistenceManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Config Admin's store with its secrets sealed: the value of every private property (key with a leading dot, e.g.
 * {@code .token}, {@code .password}) is written AES-256-GCM encrypted ({@code pm500-sealed:v1:<base64 of iv and
 * ciphertext>}) with a key kept in {@code <data>/secrets.key} (mode 0600, made on first start); it is decrypted when
 * Config Admin reads it, so components get clear text and files never hold it. Copying {@code data/} copies the key
 * with it; a lost key loses only the secrets, which must then be entered again.
 */
final class SealedStore implements PersistenceManager {
    static final String PREFIX = "pm500-sealed:v1:";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Logger LOG = LoggerFactory.getLogger(SealedStore.class);

    private final PersistenceManager files;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    SealedStore(PersistenceManager files, Path keyFile) throws IOException {
        this.files = files;
        this.key = new SecretKeySpec(key(keyFile), "AES");
    }

    private byte[] key(Path keyFile) throws IOException {
        if (Files.exists(keyFile)) {
            byte[] k = Base64.getDecoder().decode(Files.readString(keyFile, StandardCharsets.US_ASCII).strip());
            if (k.length != 32) {
                throw new IOException(keyFile + " does not hold a 256-bit key: restore it from a backup, or delete it"
                        + " and enter the secrets (tokens, passwords) in the configurations again");
            }
            return k;
        }
        byte[] k = new byte[32];
        random.nextBytes(k);
        Files.createDirectories(keyFile.getParent());
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(k) + "\n", StandardCharsets.US_ASCII);
        return k;
    }

    /** Seals every secret still held in clear text (stores written before secrets were sealed). */
    List<String> sealClearSecrets() throws IOException {
        List<String> sealed = new ArrayList<>();
        for (Enumeration<?> all = files.getDictionaries(); all.hasMoreElements();) {
            @SuppressWarnings("unchecked")
            Dictionary<String, Object> d = (Dictionary<String, Object>) all.nextElement();
            boolean clear = false;
            for (String k : Collections.list(d.keys())) {
                clear |= isSecret(k) && d.get(k) instanceof String s && !s.startsWith(PREFIX);
            }
            if (clear) {
                String pid = String.valueOf(d.get("service.pid"));
                store(pid, d);
                sealed.add(pid);
            }
        }
        return sealed;
    }

    static boolean isSecret(String key) {
        return key.startsWith(".");
    }

    @Override
    public boolean exists(String pid) {
        return files.exists(pid);
    }

    @Override
    @SuppressWarnings({ "rawtypes", "unchecked" }) // Felix's interface is raw
    public Dictionary load(String pid) throws IOException {
        Dictionary<String, Object> d = files.load(pid);
        return d == null ? null : open(d);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Enumeration getDictionaries() throws IOException {
        List<Dictionary<String, Object>> opened = new ArrayList<>();
        for (Enumeration<?> all = files.getDictionaries(); all.hasMoreElements();) {
            @SuppressWarnings("unchecked")
            Dictionary<String, Object> d = (Dictionary<String, Object>) all.nextElement();
            opened.add(open(d));
        }
        return Collections.enumeration(opened);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void store(String pid, Dictionary properties) throws IOException {
        Dictionary<String, Object> sealed = new Hashtable<>();
        for (Object key : Collections.list(properties.keys())) {
            String k = (String) key;
            Object v = properties.get(k);
            sealed.put(k, isSecret(k) && v instanceof String s && !s.startsWith(PREFIX) ? seal(s) : v);
        }
        files.store(pid, sealed);
    }

    @Override
    public void delete(String pid) throws IOException {
        files.delete(pid);
    }

    /** A secret that cannot be decrypted is left out, so that only its configuration is refused, not the store. */
    private Dictionary<String, Object> open(Dictionary<String, Object> d) {
        Dictionary<String, Object> opened = new Hashtable<>();
        for (String k : Collections.list(d.keys())) {
            Object v = d.get(k);
            if (v instanceof String s && s.startsWith(PREFIX)) {
                try {
                    opened.put(k, unseal(s));
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    LOG.error("Configuration {}: secret {} cannot be decrypted with this gateway's data/secrets.key"
                            + " (copied from another gateway, or the key was replaced); enter it again in the Web"
                            + " Console or its file", d.get("service.pid"), k);
                }
            } else {
                opened.put(k, v);
            }
        }
        return opened;
    }

    private String seal(String clear) throws IOException {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = c.doFinal(clear.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + sealed.length)
                    .put(iv).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot seal a secret: " + e, e);
        }
    }

    private String unseal(String value) throws GeneralSecurityException {
        byte[] all = Base64.getDecoder().decode(value.substring(PREFIX.length()));
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, IV_BYTES));
        return new String(c.doFinal(all, IV_BYTES, all.length - IV_BYTES), StandardCharsets.UTF_8);
    }
}
