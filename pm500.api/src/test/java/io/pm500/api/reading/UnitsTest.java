package io.pm500.api.reading;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void prefixesConvert() {
        assertThat(Units.factor("W", "kW")).contains(0.001);
        assertThat(Units.factor("kW", "W")).contains(1000.0);
        assertThat(Units.factor("Wh", "MWh")).contains(1e-6);
        assertThat(Units.factor("kvar", "var")).contains(1000.0);
        assertThat(Units.factor("A", "mA")).contains(1000.0);
        assertThat(Units.factor("kV", "kV")).contains(1.0);
    }

    @Test
    void differentQuantitiesDoNotConvert() {
        assertThat(Units.factor("W", "Wh")).isEmpty();
        assertThat(Units.factor("kW", "kVA")).isEmpty();
        assertThat(Units.factor("%", "kW")).isEmpty();
        assertThat(Units.factor("", "W")).isEmpty();
        assertThat(Units.factor("xW", "W")).isEmpty();
    }
}
