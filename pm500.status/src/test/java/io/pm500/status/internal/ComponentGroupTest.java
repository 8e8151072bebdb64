package io.pm500.status.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ComponentGroupTest {

    @ParameterizedTest
    @CsvSource({ "pm500.driver.modbus, DRIVERS", "pm500.driver.cip, DRIVERS", "pm500.enrich, ENRICHMENT",
            "pm500.sink.influx, SINKS", "pm500.sink.acme, SINKS", "pm500.runtime, GATEWAY", "pm500.api, GATEWAY",
            "org.apache.felix.scr, PLATFORM", "pm500driver, PLATFORM" })
    void groupsBySymbolicName(String symbolicName, ComponentGroup group) {
        assertThat(ComponentGroup.of(symbolicName)).isEqualTo(group);
    }
}
