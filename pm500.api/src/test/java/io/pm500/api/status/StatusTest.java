package io.pm500.api.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusTest {

    @Test
    void sourceDefaultsToNothing() {
        StatusSource meterOnly = new StatusSource() {
            @Override
            public List<MeterStatus> meters() {
                return List.of(MeterStatus.builder("m1", "pm500.driver.modbus", "127.0.0.1:1502 unit 1")
                        .state(ConnectionState.CONNECTED, Instant.EPOCH).polls(10, 1, 0)
                        .lastSuccess(Duration.ofMillis(3), null).build());
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
        assertThatIllegalArgumentException().isThrownBy(() -> SinkStatus.builder(null, SinkState.UP));
        assertThatIllegalArgumentException().isThrownBy(() -> SinkStatus.builder("s", SinkState.UP)
                .queued(0, 0, 0, null));
        assertThatIllegalArgumentException().isThrownBy(
                () -> MeterStatus.builder("m1", "d", "e").state(null, Instant.EPOCH));
        assertThat(SinkStatus.builder("s", SinkState.ABSENT).build()).satisfies(st -> {
            assertThat(st.lastError()).as("an unset error is empty, not null").isEmpty();
            assertThat(st.oldestAge()).isEqualTo(Duration.ZERO);
        });
        assertThat(MeterStatus.builder("m1", "d", "e").build().pollTimes()).isEqualTo(PollTimes.NONE);
        assertThatIllegalArgumentException().as("a histogram has a count per bucket")
                .isThrownBy(() -> new PollTimes(List.of(1L), 0));
    }
}
