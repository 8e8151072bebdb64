package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SetPasswordTest {
    @TempDir
    Path data;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return SetPassword.run(args, null, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void storesOnlyTheHashOwnerReadable() throws Exception {
        assertThat(run("a long enough secret\n", "--stdin", "--data", data.toString())).isEqualTo(0);

        Path file = data.resolve("console/credentials");
        assertThat(new CredentialStore(file).load()).hasValueSatisfying(
                h -> assertThat(h.matches("a long enough secret".toCharArray())).isTrue());
        assertThat(Files.readString(file)).doesNotContain("secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("no restart is needed").doesNotContain("secret");
    }

    @Test
    void viewerGetsItsOwnFile() throws Exception {
        assertThat(run("viewer's secret 12\n", "--viewer", "--data", data.toString())).isEqualTo(0);
        assertThat(data.resolve("console/viewer-credentials")).exists();
        assertThat(data.resolve("console/credentials")).doesNotExist();
    }

    @Test
    void refusesAShortOrMissingPasswordAndChangesNothing() {
        assertThat(run("short\n", "--stdin", "--data", data.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("at least 12 characters");
        assertThat(run("", "--stdin", "--data", data.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no password on standard input");
        assertThat(data.resolve("console")).doesNotExist();
    }

    @Test
    void namesAnUnknownOption() {
        assertThat(run("", "--user", "bob")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option '--user'").contains("usage:");
    }
}
