package io.pm500.driver.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.PollTimes;
import io.pm500.testkit.pipeline.DriverEvents;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionHealthTest {
    static final Instant T = Instant.parse("2026-11-27T10:00:00Z");

    static ConnectionHealth health(int lostAfter, boolean enabled) {
        return new ConnectionHealth("m1", "pm500.driver.test", "10.0.0.1:502", Map.of("b1", 1000L), lostAfter, enabled,
                Clock.systemUTC(), new DriverEvents());
    }

    @Test
    void lostAfterConsecutiveFailuresAndConnectedAgainOnSuccess() {
        ConnectionHealth h = health(3, true);
        assertThat(h.status().state()).isEqualTo(ConnectionState.CONNECTING);
        h.pollStarted();
        h.succeeded("b1", 2_000_000);
        assertThat(h.status().state()).isEqualTo(ConnectionState.CONNECTED);
        assertThat(h.status().lastLatency()).isEqualTo(Duration.ofMillis(2));
        for (int i = 0; i < 2; i++) {
            h.failed("b1", AcquisitionStatus.DEVICE_ERROR, "code 4", false);
        }
        assertThat(h.status().state()).as("a refused block keeps the connection").isEqualTo(ConnectionState.CONNECTED);
        h.failed("b1", AcquisitionStatus.DEVICE_ERROR, "code 4", false);
        assertThat(h.status().state()).isEqualTo(ConnectionState.LOST);
        assertThat(h.status().consecutiveFailures()).isEqualTo(3);
        assertThat(h.status().lastError()).isEqualTo("DEVICE_ERROR: code 4");
        assertThat(h.backingOff()).as("a device error keeps the connection: no backoff").isFalse();
        h.succeeded("b1", 1_000_000);
        assertThat(h.status().state()).isEqualTo(ConnectionState.CONNECTED);
        assertThat(h.status().consecutiveFailures()).isZero();
        assertThat(h.status().failures()).isEqualTo(3);
        assertThat(h.status().polls()).isEqualTo(1);
    }

    @Test
    void countsEachBlocksPollsByResultTheirTimesAndSinceWhenTheStateHolds() {
        Instant[] now = { T };
        Clock clock = new Clock() {
            @Override
            public Instant instant() {
                return now[0];
            }

            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        ConnectionHealth h = new ConnectionHealth("m1", "pm500.driver.test", "10.0.0.1:502",
                new java.util.LinkedHashMap<>(Map.of("status", 1000L)), 2, true, clock, new DriverEvents());
        assertThat(h.status().stateSince()).isEqualTo(T);
        now[0] = T.plusSeconds(5);
        h.succeeded("status", 800_000); // 0.8 ms
        h.succeeded("status", 3_000_000); // 3 ms
        h.succeeded("status", 9_000_000_000L); // above the highest bound
        h.failed("status", AcquisitionStatus.DEVICE_ERROR, "code 2", false);
        now[0] = T.plusSeconds(9);
        h.failed("status", AcquisitionStatus.TIMEOUT, "no reply", true);
        h.failed("unknown", AcquisitionStatus.TIMEOUT, "a block the meter is not configured for", true);

        assertThat(h.status().state()).isEqualTo(ConnectionState.LOST);
        assertThat(h.status().stateSince()).as("LOST at the second failure in a row").isEqualTo(T.plusSeconds(9));
        assertThat(h.status().blockPolls()).singleElement().satisfies(b -> {
            assertThat(b.blockId()).isEqualTo("status");
            assertThat(b.results()).containsOnly(Map.entry(AcquisitionStatus.OK, 3L),
                    Map.entry(AcquisitionStatus.DEVICE_ERROR, 1L), Map.entry(AcquisitionStatus.TIMEOUT, 1L));
        });
        PollTimes times = h.status().pollTimes();
        assertThat(times.count()).isEqualTo(3);
        assertThat(times.counts().get(0)).as("<= 1 ms").isEqualTo(1);
        assertThat(times.counts().get(2)).as("<= 5 ms").isEqualTo(1);
        assertThat(times.counts().get(PollTimes.BOUNDS_SECONDS.size())).as("above 2.5 s").isEqualTo(1);
        assertThat(times.sumSeconds()).isCloseTo(9.0038, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(h.status()).as("made once per change, however often asked for").isSameAs(h.status());
        MeterStatus before = h.status();
        h.pollStarted();
        assertThat(h.status()).isNotSameAs(before).extracting(MeterStatus::polls).isEqualTo(before.polls() + 1);
    }

    @Test
    void backoffDoublesWithJitterUpToThirtySeconds() {
        ConnectionHealth h = health(100, true);
        long[] base = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000 };
        for (int i = 0; i < base.length; i++) {
            long before = System.nanoTime();
            h.failed("b1", AcquisitionStatus.CONNECTION_LOST, "refused", true);
            assertThat(h.backingOff()).isTrue();
            long delay = h.untilNextAttempt().toMillis();
            // the clock runs between failed() and the read (the first call also loads the logger)
            long elapsed = (System.nanoTime() - before) / 1_000_000 + 1;
            assertThat(delay).as("attempt %d", i).isBetween(base[i] - elapsed, base[i] + base[i] / 4);
        }
    }

    @Test
    void outageSampleSaysWhenAndWhy() {
        ConnectionHealth h = health(3, true);
        h.failed("b1", AcquisitionStatus.TIMEOUT, "no reply in 1000 ms", true);
        Sample s = h.outage("energy", T);
        assertThat(s.status()).isEqualTo(AcquisitionStatus.CONNECTION_LOST);
        assertThat(s.blockId()).isEqualTo("energy");
        assertThat(s.acquiredAt()).isEqualTo(T);
        assertThat(s.detail()).startsWith("not connected to 10.0.0.1:502 (next attempt in ")
                .endsWith("ms): TIMEOUT: no reply in 1000 ms");
    }

    @Test
    void thePipelineHearsThePlanInPollOrderEachChangeOfStateOnceAndTheWithdrawal() throws Exception {
        DriverEvents pipeline = new DriverEvents();
        Map<String, Long> intervals = new java.util.LinkedHashMap<>();
        intervals.put("status", 1000L);
        intervals.put("identity", 0L);
        intervals.put("energy", 5000L);
        ConnectionHealth h = new ConnectionHealth("m1", "pm500.driver.test", "e", intervals, 2, true,
                Clock.systemUTC(), pipeline);
        h.announce(io.pm500.profile.DeviceProfiles.builtIn("pm500"));
        h.pollStarted();
        h.succeeded("status", 1_000_000);
        h.succeeded("energy", 1_000_000);
        h.failed("status", AcquisitionStatus.TIMEOUT, "no reply", true);
        h.failed("status", AcquisitionStatus.TIMEOUT, "no reply", true);
        h.failed("status", AcquisitionStatus.TIMEOUT, "no reply", true);
        h.succeeded("status", 1_000_000);
        h.disabled();
        assertThat(pipeline.log()).containsExactly(
                "announce m1@pm500.driver.test {status=PT1S, identity=PT0S, energy=PT5S}",
                "CONNECTED m1@pm500.driver.test",
                "CONNECTING m1@pm500.driver.test",
                "LOST m1@pm500.driver.test",
                "CONNECTED m1@pm500.driver.test",
                "withdraw m1@pm500.driver.test");
    }

    @Test
    void aDisabledMeterIsReportedDisabled() {
        assertThat(health(3, false).status().state()).isEqualTo(ConnectionState.DISABLED);
        ConnectionHealth h = health(3, true);
        h.disabled();
        assertThat(h.status().state()).isEqualTo(ConnectionState.DISABLED);
    }

    @Test
    void blockIntervalsParseEveryEntryAndNameEveryProblem() {
        List<String> problems = new ArrayList<>();
        Map<String, Long> ok = BlockIntervals.parse(new String[] { "info=0", " energy=5000", "status=1000" }, "Modbus",
                List.of("info", "energy", "status"), problems);
        assertThat(problems).isEmpty();
        assertThat(ok).containsExactly(Map.entry("info", 0L), Map.entry("energy", 5000L), Map.entry("status", 1000L));

        BlockIntervals.parse(new String[] { "energy=10", "nope=1000", "status" }, "Modbus",
                List.of("energy", "status"), problems);
        assertThat(problems).containsExactly(
                "blockIntervals 'energy=10': an interval is 0 (once per connection) or at least 50 ms",
                "blockIntervals 'nope=1000': the profile has no Modbus block 'nope' (it has [energy, status])",
                "blockIntervals 'status': write <block>=<milliseconds>, e.g. status=1000");
        problems.clear();
        BlockIntervals.parse(new String[] { " " }, "EtherNet/IP", List.of("assembly.101"), problems);
        assertThat(problems).containsExactly("blockIntervals: no block to poll; name at least one of [assembly.101]");
    }
}
