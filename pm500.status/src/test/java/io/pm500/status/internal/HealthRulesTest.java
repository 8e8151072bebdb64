package io.pm500.status.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.Test;

/** What {@code /health} calls healthy, one rule at a time. */
class HealthRulesTest {
    static final Instant NOW = Instant.parse("2026-12-02T09:00:00Z");

    static MeterStatus meter(String id, ConnectionState state, Instant since, Instant lastSuccess) {
        return MeterStatus.builder(id, "pm500.driver.modbus", "10.0.0.1:502 unit 1").state(state, since)
                .polls(10, 0, 0).lastError("TIMEOUT: no reply in 1000 ms")
                .lastSuccess(Duration.ofMillis(5), lastSuccess).blocks(List.of("info", "status"), Map.of("info",
                        Duration.ZERO, "status", Duration.ofSeconds(1), "energy", Duration.ofSeconds(5)))
                .build();
    }

    static SinkStatus sink(String name, SinkState state, long queued, long bytes, Duration oldest, Instant last) {
        return SinkStatus.builder(name, state).delivered(100, 0).queued(queued, bytes, 1000, oldest)
                .lastError("HTTP 503").lastDelivery(last).build();
    }

    static String messages(Result r) {
        return String.join("\n", StreamSupport.stream(r.spliterator(), false).map(e -> e.getStatus() + " "
                + e.getMessage()).toList());
    }

    @Test
    void aMeterIsHealthyWithinThreeOfItsShortestIntervalsAndNeverWhenLost() {
        Result ok = HealthRules.meters(List.of(
                meter("m1", ConnectionState.CONNECTED, NOW.minusSeconds(600), NOW.minusMillis(2900)),
                meter("m2", ConnectionState.CONNECTING, NOW.minusSeconds(2), null),
                meter("m3", ConnectionState.DISABLED, NOW.minusSeconds(600), null)), 3, NOW);
        assertThat(ok.getStatus()).as(messages(ok)).isEqualTo(Result.Status.OK);
        assertThat(messages(ok)).contains("2 of 2 meters polled within 3 intervals (1 disabled)");

        Result late = HealthRules.meters(List.of(
                meter("m1", ConnectionState.CONNECTED, NOW.minusSeconds(600), NOW.minusMillis(3100)),
                meter("m2", ConnectionState.CONNECTING, NOW.minusSeconds(4), null)), 3, NOW);
        assertThat(late.getStatus()).isEqualTo(Result.Status.CRITICAL);
        assertThat(messages(late)).contains("meter m1 at 10.0.0.1:502 unit 1: CONNECTED, no good poll for 3 s (3"
                + " intervals of 1000 ms): TIMEOUT: no reply in 1000 ms")
                .contains("meter m2 at 10.0.0.1:502 unit 1: CONNECTING, no good poll for 4 s")
                .contains("0 of 2 meters");

        Result lost = HealthRules.meters(List.of(meter("m1", ConnectionState.LOST, NOW.minusSeconds(1),
                NOW.minusSeconds(2))), 3, NOW);
        assertThat(lost.getStatus()).isEqualTo(Result.Status.CRITICAL);
        assertThat(messages(lost)).contains("meter m1 at 10.0.0.1:502 unit 1: LOST");
    }

    @Test
    void aSinkIsUnhealthyWhenItHoldsReadingsItCannotDeliverOrItsOutboxFillsUp() {
        Result ok = HealthRules.sinks(List.of(
                sink("idle", SinkState.RETRYING, 0, 0, Duration.ZERO, NOW.minusSeconds(3600)),
                sink("busy", SinkState.UP, 10, 100, Duration.ofSeconds(1), NOW.minusSeconds(1)),
                sink("young", SinkState.RETRYING, 10, 100, Duration.ofSeconds(20), null)), 30, 80, NOW);
        assertThat(ok.getStatus()).as(messages(ok)).isEqualTo(Result.Status.OK);

        Result stalled = HealthRules.sinks(List.of(
                sink("hist", SinkState.RETRYING, 10, 100, Duration.ofSeconds(40), NOW.minusSeconds(31)),
                sink("never", SinkState.RETRYING, 10, 100, Duration.ofSeconds(31), null)), 30, 80, NOW);
        assertThat(stalled.getStatus()).isEqualTo(Result.Status.CRITICAL);
        assertThat(messages(stalled)).contains("sink hist: 10 readings queued and nothing delivered for 31 s (limit"
                + " 30 s): HTTP 503").contains("sink never: 10 readings queued and nothing delivered for 31 s");

        Result full = HealthRules.sinks(List.of(sink("hist", SinkState.UP, 10, 800, Duration.ofSeconds(1),
                NOW)), 30, 80, NOW);
        assertThat(full.getStatus()).isEqualTo(Result.Status.CRITICAL);
        assertThat(messages(full)).contains("sink hist: outbox 80 % full (800 of 1000 bytes)");

        Result absent = HealthRules.sinks(List.of(sink("gone", SinkState.ABSENT, 0, 0, Duration.ZERO, null)), 30,
                80, NOW);
        assertThat(absent.getStatus()).isEqualTo(Result.Status.WARN);
    }

    @Test
    void theGatewayNeedsRoomForItsOutboxesAndEveryComponentActive() {
        Path data = Path.of("/var/lib/pm500");
        assertThat(HealthRules.system(data, 600L << 20, 500L << 20, List.of()).getStatus())
                .isEqualTo(Result.Status.OK);
        Result low = HealthRules.system(data, 400L << 20, 500L << 20, List.of());
        assertThat(low.getStatus()).isEqualTo(Result.Status.CRITICAL);
        assertThat(messages(low)).contains("400 MB free under /var/lib/pm500, less than 500 MB");
        Result broken = HealthRules.system(data, 600L << 20, 500L << 20, List.of(new Components.Inactive(
                "io.pm500.sink.influx.internal.InfluxSinkComponent", "pm500.sink.influx~hist",
                "activation failed: url is not a URL")));
        assertThat(broken.getStatus()).isEqualTo(Result.Status.CRITICAL);
        assertThat(messages(broken)).contains("component io.pm500.sink.influx.internal.InfluxSinkComponent"
                + " (pm500.sink.influx~hist) is not active: activation failed: url is not a URL");
    }
}
