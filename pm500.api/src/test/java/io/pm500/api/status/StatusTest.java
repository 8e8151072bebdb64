package io.pm500.api.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusTest {

    @Test
    void sourceDefaultsToNothing() {
        StatusSource meterOnly = new StatusSource() {
            @Override
            public List<MeterStatus> meters() {
                return List.of(new MeterStatus("m1", "pm500.driver.modbus", "127.0.0.1:1502 unit 1",
                        ConnectionState.CONNECTED, Instant.EPOCH, 10, 1, 0, 0, null, Duration.ofMillis(3), null, null,
                        null, null, null));
            }
        };
        assertThat(meterOnly.sinks()).isEmpty();
        assertThat(meterOnly.meters()).singleElement().satisfies(m -> {
            assertThat(m.lastError()).isEmpty();
            assertThat(m.blocks()).isEmpty();
            assertThat(m.intervals()).isEmpty();
            assertThat(m.blockPolls()).isEmpty();
            assertThat(m.pollTimes().count()).isZero();
        });
        assertThat(meterOnly.readings()).isEmpty();
    }

    @Test
    void statusNeedsItsKeys() {
        assertThatIllegalArgumentException().isThrownBy(() -> new SinkStatus(null, SinkState.UP, 0, 0, 0, 0, null, 0, 0, 0, 0,
                Duration.ZERO, "", null));
        assertThatIllegalArgumentException().isThrownBy(
                () -> new MeterStatus("m1", "d", "e", null, Instant.EPOCH, 0, 0, 0, 0, "", Duration.ZERO, null,
                        List.of(), Map.of(), List.of(), null));
        assertThatIllegalArgumentException().as("a histogram has a count per bucket")
                .isThrownBy(() -> new PollTimes(List.of(1L), 0));
    }
}
