package io.pm500.fleet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.LocalTime;
import org.junit.jupiter.api.Test;

class WindowTest {
    @Test
    void emptyIsAlwaysAndAWindowMaySpanMidnight() {
        assertThat(FleetAgent.Window.parse("").contains(LocalTime.NOON)).isTrue();
        FleetAgent.Window night = FleetAgent.Window.parse("23:30-02:00");
        assertThat(night.contains(LocalTime.of(23, 45))).isTrue();
        assertThat(night.contains(LocalTime.of(1, 59))).isTrue();
        assertThat(night.contains(LocalTime.of(2, 0))).isFalse();
        assertThat(night.contains(LocalTime.NOON)).isFalse();
        FleetAgent.Window day = FleetAgent.Window.parse("02:00-04:30");
        assertThat(day.contains(LocalTime.of(2, 0))).isTrue();
        assertThat(day.contains(LocalTime.of(4, 30))).isFalse();
    }

    @Test
    void aMalformedWindowNamesTheKeyAndTheForm() {
        assertThatIllegalArgumentException().isThrownBy(() -> FleetAgent.Window.parse("2am-4am"))
                .withMessageContaining("maintenanceWindow '2am-4am'").withMessageContaining("HH:MM-HH:MM");
    }
}
