package io.pm500.sink.sparkplug.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SparkplugSettingsTest {

    @Test
    void idsWithTopicCharactersAreRefusedWithTheFix() {
        assertThat(SparkplugSettings.checkId("plant1-line4", "edgeNodeId")).isEqualTo("plant1-line4");
        assertThatThrownBy(() -> SparkplugSettings.checkId("edge/cell-3", "edgeNodeId"))
                .hasMessageContaining("edgeNodeId 'edge/cell-3' contains '/'").hasMessageContaining("use '-' or '_'");
        assertThatThrownBy(() -> SparkplugSettings.checkId("a+b", "groupId")).hasMessageContaining("'+'");
        assertThatThrownBy(() -> SparkplugSettings.checkId("a#", "primaryHostId")).hasMessageContaining("'#'");
        assertThatThrownBy(() -> SparkplugSettings.checkId(" ", "groupId")).hasMessageContaining("groupId is empty");
    }

    @Test
    void brokerUrisAreCheckedAndKeepTheirOrder() {
        assertThat(SparkplugSettings.checkUris(new String[] { " ssl://a.example:8883", "tcp://127.0.0.1:1883" }))
                .containsExactly("ssl://a.example:8883", "tcp://127.0.0.1:1883");
        assertThatThrownBy(() -> SparkplugSettings.checkUris(new String[] { "http://x:80" }))
                .hasMessageContaining("broker URI 'http://x:80' is not valid");
        assertThatThrownBy(() -> SparkplugSettings.checkUris(new String[] { "127.0.0.1:1883" }))
                .hasMessageContaining("tcp://host:port");
        assertThatThrownBy(() -> SparkplugSettings.checkUris(new String[] { " " }))
                .hasMessageContaining("brokerUris is empty");
    }

    @Test
    void settingsNeverPrintThePassword() {
        SparkplugSettings s = new SparkplugSettings("sparkplug", "g", "n", java.util.List.of("tcp://h:1"), "c", "u",
                "hunter2".getBytes(StandardCharsets.UTF_8), null, null, null, "", 30, 10, 10_000, 5000, false);
        assertThat(s.toString()).doesNotContain("hunter2");
    }
}
