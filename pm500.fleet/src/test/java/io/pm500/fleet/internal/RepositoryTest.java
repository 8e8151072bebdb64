package io.pm500.fleet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
    private static final URI INDEX = URI.create("http://127.0.0.1/stable/index.xml");
    private static final byte[] DATA = "<repository increment=\"1\"/>".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private static byte[] sign(String algorithm, PrivateKey key, byte[] data) throws Exception {
        Signature s = Signature.getInstance(algorithm);
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    private Path pem(KeyPair pair) throws IOException {
        Path file = dir.resolve(pair.getPublic().getAlgorithm() + ".pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder()
                .encodeToString(pair.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    @Test
    void ed25519AndRsaSignaturesVerifyRawOrBase64() throws Exception {
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] sig = sign("Ed25519", ed.getPrivate(), DATA);
        assertThatCode(() -> Repository.verify(DATA, sig, Repository.publicKey(pem(ed)), INDEX))
                .doesNotThrowAnyException();
        assertThatCode(() -> Repository.verify(DATA, Base64.getEncoder().encode(sig),
                Repository.publicKey(pem(ed)), INDEX)).doesNotThrowAnyException();

        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] rsaSig = sign("SHA256withRSA", rsa.getPrivate(), DATA);
        assertThatCode(() -> Repository.verify(DATA, rsaSig, Repository.publicKey(pem(rsa)), INDEX))
                .doesNotThrowAnyException();
    }

    @Test
    void aChangedIndexOrAnotherKeyIsRefused() throws Exception {
        KeyPair fleet = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] sig = sign("Ed25519", fleet.getPrivate(), DATA);
        byte[] changed = DATA.clone();
        changed[changed.length - 3] = '2';

        assertThatThrownBy(() -> Repository.verify(changed, sig, fleet.getPublic(), INDEX))
                .isInstanceOf(IOException.class).hasMessageContaining("does not verify with the fleet public key");
        assertThatThrownBy(() -> Repository.verify(DATA, sign("Ed25519", other.getPrivate(), DATA),
                fleet.getPublic(), INDEX)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Repository.verify(DATA, new byte[0], fleet.getPublic(), INDEX))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aFileWithoutAPublicKeyIsNamed() throws Exception {
        Path file = dir.resolve("key.pem");
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Repository.publicKey(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("holds no PEM 'PUBLIC KEY'").hasMessageContaining("-pubout");
    }
}
