package io.pm500.kit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingFilesTest {

    @Test
    void theSecretFileWinsAndItsFirstLineCounts(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("pw"), "s3cret \nignored\n");
        assertThat(new String(SettingFiles.secret("sink", "passwordFile", "other", secret.toString()),
                StandardCharsets.UTF_8)).isEqualTo("s3cret");
        assertThat(new String(SettingFiles.secret("sink", "passwordFile", "inline", ""), StandardCharsets.UTF_8))
                .isEqualTo("inline");
        assertThat(SettingFiles.secret("sink", "passwordFile", "", "")).isNull();
        assertThatThrownBy(() -> SettingFiles.secret("sink", "passwordFile", "", dir.resolve("missing").toString()))
                .hasMessageStartingWith("sink: passwordFile").hasMessageContaining("not a readable file");
    }

    @Test
    void aDirectoryIsNotAFile(@TempDir Path dir) {
        assertThat(SettingFiles.optionalFile("sink", "caFile", " ")).isNull();
        assertThatThrownBy(() -> SettingFiles.optionalFile("sink", "caFile", dir.toString()))
                .hasMessage("sink: caFile '" + dir + "' is not a readable file; fix the path or the file's"
                        + " permissions");
    }
}
