package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.pm500.kit.config.ConfigValues;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class MeterSettingsTest {

    @Test
    void goodConfigurationPlansEveryListedBlock() {
        MeterSettings s = MeterSettings.of(ConfigFixture.meter("feeder-7", 502, "energy=5000", "info=0"));
        assertThat(s.blocks()).extracting(MeterSettings.BlockPlan::blockId).containsExactly("info", "energy");
        assertThat(s.endpoint()).isEqualTo("127.0.0.1:502 unit 1");
    }

    @Test
    void intervalsFromACfgFileComeAsOneCommaSeparatedString() {
        MeterSettings s = MeterSettings.of(ConfigValues.read(Map.of("meterId", "m", "host", "127.0.0.1",
                "blockIntervals", "info=0, energy=5000,status=1000"), ModbusMeterComponent.Config.class,
                LoggerFactory.getLogger(MeterSettingsTest.class)));
        assertThat(s.blocks()).extracting(MeterSettings.BlockPlan::intervalMillis).containsExactly(0L, 5000L, 1000L);
    }

    @Test
    void everyProblemIsNamedWithItsKey() {
        ConfigFixture bad = new ConfigFixture("feeder 7", " ", 70_000, 300, "pm500",
                new String[] { "energy=10", "nope=1000", "status" }, 20, 9, 0, 200, -1, "MIDDLE", true);
        assertThatIllegalArgumentException().isThrownBy(() -> MeterSettings.of(bad))
                .withMessageContaining("Modbus meter 'feeder 7' not started")
                .withMessageContaining("meterId 'feeder 7'")
                .withMessageContaining("host ' '")
                .withMessageContaining("port 70000: must be 1..65535")
                .withMessageContaining("unitId 300")
                .withMessageContaining("timeoutMillis 20")
                .withMessageContaining("retries 9: must be 0..5")
                .withMessageContaining("lostAfter 0")
                .withMessageContaining("maxRegistersPerRequest 200")
                .withMessageContaining("maxGap -1")
                .withMessageContaining("wordOrder 'MIDDLE'")
                .withMessageContaining("'energy=10': an interval is 0 (once per connection) or at least 50 ms")
                .withMessageContaining("no Modbus block 'nope'")
                .withMessageContaining("'status': write <block>=<milliseconds>");
    }

    @Test
    void unknownProfileIsNamed() {
        ConfigFixture c = new ConfigFixture("m", "10.0.0.1", 502, 1, "/etc/pm5000.json", new String[] { "energy=1000" },
                1000, 0, 3, 125, 0, "", true);
        assertThatIllegalArgumentException().isThrownBy(() -> MeterSettings.of(c))
                .withMessageContaining("profile: device profile '/etc/pm5000.json'");
    }
}
