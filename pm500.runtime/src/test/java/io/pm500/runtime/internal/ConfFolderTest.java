package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.felix.utils.properties.TypedProperties;
import org.junit.jupiter.api.Test;

/** How a conf/ file becomes a pid and properties: as Felix FileInstall read it, so existing files mean the same. */
class ConfFolderTest {
    private static final TypedProperties.SubstitutionCallback PROPERTIES =
            (name, key, value) -> Map.of("pm500.site", "plant-1").get(value);

    @Test
    void fileNamesGivePidsAsFileInstallDid() {
        assertThat(ConfFolder.pidOf("pm500.console.cfg")).isEqualTo("pm500.console");
        assertThat(ConfFolder.pidOf("pm500.driver.modbus-m7.cfg")).isEqualTo("pm500.driver.modbus~m7");
        assertThat(ConfFolder.pidOf("pm500.asset-line-1-m7.config")).isEqualTo("pm500.asset~line-1-m7");
        assertThat(ConfFolder.isConfigFile("a.cfg")).isTrue();
        assertThat(ConfFolder.isConfigFile("a.config")).isTrue();
        assertThat(ConfFolder.isConfigFile("logback.xml")).isFalse();
        assertThat(ConfFolder.isConfigFile("a.cfg.tmp")).isFalse();
        assertThat(ConfFolder.isConfigFile(".a.cfg.swp")).isFalse();
        assertThat(ConfFolder.isConfigFile(".hidden.cfg")).isFalse();
    }

    @Test
    void plainPropertiesAreStringsAndTypedOnesKeepTheirType() throws Exception {
        assertThat(parse("port=502\nblockIntervals=info=0, energy=1000\n")).containsEntry("port", "502")
                .containsEntry("blockIntervals", "info=0, energy=1000");
        Map<String, Object> typed = parse("port=I\"502\"\nblockIntervals=[\"info=0\",\"energy=1000\"]\n");
        assertThat(typed.get("port")).isEqualTo(502);
        assertThat((String[]) typed.get("blockIntervals")).containsExactly("info=0", "energy=1000");
    }

    @Test
    void substitutesFrameworkProperties() throws Exception {
        assertThat(parse("site=${pm500.site}\n")).containsEntry("site", "plant-1");
    }

    @Test
    void readsUtf8AndFallsBackToIso88591() throws Exception {
        assertThat(ConfFolder.parse("area=Halle Süd\n".getBytes(StandardCharsets.UTF_8), PROPERTIES))
                .containsEntry("area", "Halle Süd");
        assertThat(ConfFolder.parse("area=Halle Süd\n".getBytes(StandardCharsets.ISO_8859_1), PROPERTIES))
                .containsEntry("area", "Halle Süd");
    }

    @Test
    void aFileThatCannotBeReadIsRefusedWithTheReason() {
        assertThatThrownBy(() -> parse("note=\\uZZZZ\n")).isInstanceOf(ConfFolder.BadFileException.class)
                .hasMessageContaining("cannot be read as properties").hasMessageContaining("ZZZZ");
        assertThatThrownBy(() -> parse("port=I\"abc\"\n")).isInstanceOf(ConfFolder.BadFileException.class)
                .hasMessageContaining("the value of 'port'").hasMessageContaining("abc");
    }

    private static Map<String, Object> parse(String text) throws Exception {
        return ConfFolder.parse(text.getBytes(StandardCharsets.UTF_8), PROPERTIES);
    }
}
