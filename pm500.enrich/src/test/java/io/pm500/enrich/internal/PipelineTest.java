package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readings held before any route exists; which blocks are stamped STALE when their samples stop. */
class PipelineTest {
    @TempDir
    Path dir;

    /** The pipeline's monotonic clock, moved by the tests: staleness without waiting. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    Pipeline pipeline(Path dir) {
        return new Pipeline(dir, 1000, new Enrichment(EnrichSettings.of(3, new String[0], new String[0]), Map.of()),
                1L << 30, Clock.systemUTC(), nanos::get);
    }

    static Sample sample(int i) {
        return Sample.ok("m1", "status", Instant.parse("2026-11-27T10:00:00Z").plusSeconds(i),
                List.of(new PointValue("alarms.virtual", Value.of((long) i))));
    }

    @Test
    void readingsBeforeTheFirstRouteAreHandedToItEvenAcrossARestart() {
        try (Pipeline p = pipeline(dir)) {
            for (int i = 0; i < 5; i++) {
                p.accept(sample(i));
            }
        }
        assertThat(Files.isDirectory(dir.resolve("outboxes").resolve(Outboxes.UNROUTED))).isTrue();
        try (Pipeline p = pipeline(dir)) {
            assertThat(p.sinks()).as("the holding outbox is no sink").isEmpty();
            p.accept(sample(5));
            Route first = p.route("historian");
            p.accept(sample(6));
            Route second = p.route("sparkplug");
            p.accept(sample(7));
            assertThat(first.courier().outbox().readings()).as("6 held, then 2").isEqualTo(8);
            assertThat(second.courier().outbox().readings()).isEqualTo(1);
            assertThat(Files.exists(dir.resolve("outboxes").resolve(Outboxes.UNROUTED))).isFalse();
        }
    }

    @Test
    void aBlockReadOncePerConnectionIsNeverStaleByAbsenceEvenAfterItsDriverHasGone() {
        long withoutWord;
        try (Pipeline p = pipeline(dir.resolve("a"))) {
            Route route = feedTwoConnections(p);
            long before = route.courier().outbox().readings();
            p.markStale();
            withoutWord = route.courier().outbox().readings() - before;
        }
        try (Pipeline p = pipeline(dir.resolve("b"))) {
            Route route = feedTwoConnections(p);
            long before = route.courier().outbox().readings();
            p.reportIntervals(Map.of("m1", Map.of("identity", Duration.ZERO, "status", Duration.ofMillis(20))));
            p.markStale();
            long stamped = route.courier().outbox().readings();
            assertThat(stamped - before).as("the polled block stamped STALE, identity not").isPositive()
                    .isLessThan(withoutWord);
            p.markStale(); // the driver has gone: its word is remembered
            assertThat(route.courier().outbox().readings()).as("nothing more").isEqualTo(stamped);
        }
    }

    @Test
    void aBlockWithOneSampleGoesStaleByTheIntervalItsDriverReportedOnLeaving() {
        try (Pipeline p = pipeline(dir.resolve("c"))) {
            Route route = p.route("historian");
            p.accept(sample(0)); // one sample: no gap to learn
            p.reportIntervals(Map.of("m1", Map.of("status", Duration.ofMillis(20)))); // the driver unbinding
            nanos.addAndGet(Duration.ofMillis(100).toNanos());
            long before = route.courier().outbox().readings();
            p.markStale();
            assertThat(route.courier().outbox().readings()).as("STALE stamps").isGreaterThan(before);
        }
    }

    /**
     * Issue 17, fault 2: a meter the driver reports LOST has its identity (read once per connection) stamped STALE,
     * once per loss, so every value of a lost meter is STALE; the newest readings (what a Sparkplug birth starts
     * from) follow.
     */
    @Test
    void aMeterThatBecomesLostHasItsReadOnceBlocksStampedStaleOncePerLoss() {
        try (Pipeline p = pipeline(dir.resolve("d"))) {
            Route route = p.route("historian");
            p.accept(Sample.ok("m1", "identity", Instant.now(), List.of(new PointValue("serial", Value.of(7L)))));
            p.accept(sample(0));
            p.reportIntervals(Map.of("m1", Map.of("identity", Duration.ZERO, "status", Duration.ofMinutes(1))));
            assertThat(p.newest("m1")).extracting(EnrichedReading::metric, EnrichedReading::quality)
                    .containsExactlyInAnyOrder(tuple("serial", Quality.GOOD), tuple("alarms.virtual", Quality.GOOD));

            long before = route.courier().outbox().readings();
            p.lostMeters(Set.of("m1"));
            assertThat(route.courier().outbox().readings() - before).as("the identity stamped").isEqualTo(1);
            assertThat(p.newest("m1")).filteredOn(r -> r.metric().equals("serial")).singleElement()
                    .satisfies(r -> {
                        assertThat(r.quality()).isEqualTo(Quality.STALE);
                        assertThat(r.value()).isEqualTo(Value.of(7L));
                    });
            p.lostMeters(Set.of("m1"));
            assertThat(route.courier().outbox().readings() - before).as("once per loss").isEqualTo(1);

            p.lostMeters(Set.of());
            p.accept(Sample.ok("m1", "identity", Instant.now(), List.of(new PointValue("serial", Value.of(8L)))));
            assertThat(p.newest("m1")).filteredOn(r -> r.metric().equals("serial")).singleElement()
                    .extracting(EnrichedReading::quality).isEqualTo(Quality.GOOD);
            p.lostMeters(Set.of("m1"));
            assertThat(route.courier().outbox().readings() - before).as("the next loss").isEqualTo(3);
            assertThat(p.newest("unknown")).isEmpty();
            assertThat(p.readings()).as("readings made, by quality (the operator's view counts them)")
                    .containsOnly(Map.entry(Quality.GOOD, 3L), Map.entry(Quality.STALE, 2L));
            assertThat(p.sinks()).singleElement().satisfies(s -> assertThat(s.queuedBytesLimit())
                    .as("the outbox's limit, for the health check").isEqualTo(1L << 30));
        }
    }

    /**
     * Issue 18, fault 1: two samples of one meter within one millisecond (a settings read and a failed energy read
     * right after connecting) merged into one historian point, good values stamped BAD. A meter's acquisitions now
     * never share a millisecond: the later one takes the next free one; other meters keep theirs.
     */
    @Test
    void aMetersSamplesWithinOneMillisecondGetDistinctAcquisitionTimes() {
        try (Pipeline p = pipeline(dir.resolve("e"))) {
            p.route("historian");
            Instant t = Instant.parse("2026-11-27T10:00:00.123456Z");
            p.accept(Sample.ok("m1", "settings", t, List.of(new PointValue("system.type", Value.of(5L)))));
            p.accept(Sample.failed("m1", "energy", t, AcquisitionStatus.TIMEOUT, "no reply"));
            p.accept(Sample.ok("m1", "status", t.plusNanos(300_000), List.of(new PointValue("alarms.virtual",
                    Value.of(1L)))));
            p.accept(Sample.ok("m2", "settings", t, List.of(new PointValue("system.type", Value.of(5L)))));
            assertThat(p.newest("m1")).extracting(EnrichedReading::metric, EnrichedReading::acquiredAt)
                    .contains(tuple("system.type", t), tuple("alarms.virtual", Instant.parse("2026-11-27T10:00:00.125Z")));
            assertThat(p.newest("m1")).filteredOn(r -> r.quality() == Quality.BAD).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.acquiredAt()).isEqualTo(Instant.parse("2026-11-27T10:00:00.124Z")));
            assertThat(p.newest("m2")).extracting(EnrichedReading::acquiredAt).containsOnly(t);
        }
    }

    /** Two connections in a row, 20 ms apart (a gap to learn), then far more than 3 such gaps of silence. */
    private Route feedTwoConnections(Pipeline p) {
        Route route = p.route("historian");
        for (int i = 0; i < 2; i++) {
            p.accept(Sample.ok("m1", "identity", Instant.now(), List.of(new PointValue("serial", Value.of(7L)))));
            p.accept(sample(i));
            nanos.addAndGet(Duration.ofMillis(20).toNanos());
        }
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        return route;
    }
}
