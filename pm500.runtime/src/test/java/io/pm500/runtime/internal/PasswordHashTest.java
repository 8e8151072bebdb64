package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordHashTest {
    private final SecureRandom random = new SecureRandom();

    @Test
    void matchesOnlyTheRightPasswordAndSurvivesItsTextForm() {
        PasswordHash hash = PasswordHash.create("correct horse battery".toCharArray(), random);
        PasswordHash parsed = PasswordHash.parse(hash.format());

        assertThat(parsed.iterations()).isEqualTo(PasswordHash.ITERATIONS);
        assertThat(parsed.matches("correct horse battery".toCharArray())).isTrue();
        assertThat(parsed.matches("correct horse batterY".toCharArray())).isFalse();
        assertThat(parsed.matches(new char[0])).isFalse();
        assertThat(hash.format()).startsWith("pbkdf2-sha256$600000$").doesNotContain("horse");
    }

    @Test
    void sameSecretGetsADifferentSalt() {
        PasswordHash a = PasswordHash.create("same secret 1".toCharArray(), random);
        PasswordHash b = PasswordHash.create("same secret 1".toCharArray(), random);
        assertThat(a.format()).isNotEqualTo(b.format());
    }

    @Test
    void malformedTextIsNamed() {
        assertThatIllegalArgumentException().isThrownBy(() -> PasswordHash.parse("admin"))
                .withMessageContaining("pbkdf2-sha256$<iterations>$<salt>$<hash>");
        assertThatIllegalArgumentException().isThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$x$AA==$AA=="))
                .withMessageContaining("malformed");
        assertThatIllegalArgumentException().isThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$0$AA==$AA=="))
                .withMessageContaining("positive");
    }

    @Test
    void storeWritesOwnerOnlyFileAndLoadsItBack(@TempDir Path dir) throws IOException {
        CredentialStore store = new CredentialStore(dir.resolve("console").resolve("credentials"));
        assertThat(store.load()).isEmpty();

        PasswordHash first = PasswordHash.create("first password".toCharArray(), random);
        store.store(first);
        PasswordHash second = PasswordHash.create("second password".toCharArray(), random);
        store.store(second);

        assertThat(store.load()).hasValueSatisfying(h -> assertThat(h.matches("second password".toCharArray())).isTrue());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
        assertThat(Files.list(store.file().getParent())).containsExactly(store.file());
    }

    @Test
    void damagedFileSaysHowToRecover(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("credentials");
        Files.writeString(file, "# header only\n");
        assertThatThrownBy(() -> new CredentialStore(file).load()).isInstanceOf(IOException.class)
                .hasMessageContaining("delete the file and restart");
        Files.writeString(file, "pbkdf2-sha256$garbage\n");
        assertThatThrownBy(() -> new CredentialStore(file).load()).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("delete the file and restart");
    }
}
