package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.api.status.ConnectionState;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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

    static final String DRIVER = "pm500.driver.test";

    /** A driver's announcement of meter m1: block → interval in poll order. */
    static MeterPlan plan(String... blockIntervals) throws ProfileException {
        Map<String, Duration> blocks = new java.util.LinkedHashMap<>();
        for (String b : blockIntervals) {
            String[] kv = b.split("=");
            blocks.put(kv[0], Duration.parse(kv[1]));
        }
        return MeterPlan.of("m1", DRIVER, DeviceProfiles.builtIn(DeviceProfiles.PM500), blocks);
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
            assertThat(p.routes().sinks()).as("the holding outbox is no sink").isEmpty();
            p.accept(sample(5));
            Route first = p.routes().route("historian");
            p.accept(sample(6));
            Route second = p.routes().route("sparkplug");
            p.accept(sample(7));
            assertThat(first.queued()).as("6 held, then 2").isEqualTo(8);
            assertThat(second.queued()).isEqualTo(1);
            assertThat(Files.exists(dir.resolve("outboxes").resolve(Outboxes.UNROUTED))).isFalse();
        }
    }

    @Test
    void aBlockReadOncePerConnectionIsNeverStaleByAbsenceEvenAfterItsDriverHasGone() throws Exception {
        long withoutWord;
        try (Pipeline p = pipeline(dir.resolve("a"))) {
            Route route = feedTwoConnections(p);
            long before = route.queued();
            p.markStale();
            withoutWord = route.queued() - before;
        }
        try (Pipeline p = pipeline(dir.resolve("b"))) {
            assertThat(p.announce(plan("identity=PT0S", "status=PT0.02S"))).as("the catalogue changed").isTrue();
            Route route = feedTwoConnections(p);
            long before = route.queued();
            p.markStale();
            long stamped = route.queued();
            assertThat(stamped - before).as("the polled block stamped STALE, identity not").isPositive()
                    .isLessThan(withoutWord);
            assertThat(p.withdraw("m1", DRIVER)).isTrue();
            p.markStale(); // the driver has gone: its word is remembered
            assertThat(route.queued()).as("nothing more").isEqualTo(stamped);
        }
    }

    @Test
    void aBlockWithOneSampleGoesStaleByTheIntervalItsDriverAnnouncedAfterTheDriverHasGone() throws Exception {
        try (Pipeline p = pipeline(dir.resolve("c"))) {
            Route route = p.routes().route("historian");
            p.announce(plan("status=PT0.02S"));
            p.accept(sample(0)); // one sample: no gap to learn
            p.withdraw("m1", DRIVER);
            assertThat(p.plans().meters()).isEmpty();
            nanos.addAndGet(Duration.ofMillis(100).toNanos());
            long before = route.queued();
            p.markStale();
            assertThat(route.queued()).as("STALE stamps").isGreaterThan(before);
        }
    }

    /**
     * Issue 21: what sinks know of a meter comes from the drivers' announcements and the assets, through the
     * pipeline: the catalogue lists the announced meters and their blocks' metrics, and every sink is handed it again
     * when it changes.
     */
    @Test
    void theCatalogueShowsWhatDriversAnnouncedAndSinksAreHandedItAgainAfterAChange() throws Exception {
        try (Pipeline p = pipeline(dir.resolve("e"))) {
            p.enrichment(new Enrichment(p.enrichment().settings(), Map.of("m1", new AssetInfo("m1", "plant", "press",
                    "feeder-1", "", List.of("a"), 1, 1))));
            List<MeterCatalog> handed = new java.util.concurrent.CopyOnWriteArrayList<>();
            Sink sink = new Sink() {
                @Override
                public void deliver(List<EnrichedReading> batch, boolean historical) {
                }

                @Override
                public void catalog(MeterCatalog catalog) {
                    handed.add(catalog);
                }
            };
            Catalog catalog = new Catalog(p, Runnable::run, () -> Map.of("historian", sink));
            assertThat(catalog.meterIds()).isEmpty();
            assertThat(catalog.metrics("m1")).as("no driver reads it yet").isEmpty();
            assertThat(catalog.assets()).singleElement().satisfies(a -> {
                assertThat(a.asset()).isEqualTo("feeder-1");
                assertThat(a.site()).isEqualTo("plant");
                assertThat(a.area()).isEqualTo("press");
            });

            assertThat(p.announce(plan("status=PT1S"))).isTrue();
            catalog.changed();
            assertThat(handed).containsExactly(catalog);
            assertThat(catalog.meterIds()).containsExactly("m1");
            assertThat(catalog.metrics("m1")).extracting(MetricInfo::metric).contains("alarms.virtual")
                    .doesNotContain("serial");
            assertThat(p.announce(plan("status=PT1S"))).as("the same plan again changes nothing").isFalse();
            assertThat(p.announce(plan("status=PT1S", "info=PT0S"))).isTrue();
            assertThat(catalog.metrics("m1")).extracting(MetricInfo::metric).contains("alarms.virtual", "serial");
            assertThat(p.withdraw("m1", DRIVER)).isTrue();
            assertThat(catalog.meterIds()).isEmpty();
        }
    }

    /**
     * Issue 17, fault 2: a meter the driver reports LOST has its identity (read once per connection) stamped STALE,
     * once per loss, so every value of a lost meter is STALE; the newest readings (what a Sparkplug birth starts
     * from) follow.
     */
    @Test
    void aMeterThatBecomesLostHasItsReadOnceBlocksStampedStaleOncePerLoss() throws Exception {
        try (Pipeline p = pipeline(dir.resolve("d"))) {
            Route route = p.routes().route("historian");
            p.announce(plan("identity=PT0S", "status=PT1M"));
            p.accept(Sample.ok("m1", "identity", Instant.now(), List.of(new PointValue("serial", Value.of(7L)))));
            p.accept(sample(0));
            assertThat(p.newest("m1")).extracting(EnrichedReading::metric, EnrichedReading::quality)
                    .containsExactlyInAnyOrder(tuple("serial", Quality.GOOD), tuple("alarms.virtual", Quality.GOOD));

            long before = route.queued();
            p.connection("m1", DRIVER, ConnectionState.LOST);
            assertThat(route.queued() - before).as("the identity stamped").isEqualTo(1);
            assertThat(p.newest("m1")).filteredOn(r -> r.metric().equals("serial")).singleElement()
                    .satisfies(r -> {
                        assertThat(r.quality()).isEqualTo(Quality.STALE);
                        assertThat(r.value()).isEqualTo(Value.of(7L));
                    });
            p.connection("m1", "pm500.driver.other", ConnectionState.LOST);
            assertThat(route.queued() - before).as("once per loss, whichever driver")
                    .isEqualTo(1);
            p.connection("m1", DRIVER, ConnectionState.CONNECTED);
            p.accept(Sample.failed("m1", "status", Instant.now(), AcquisitionStatus.TIMEOUT, "no reply"));
            assertThat(p.newest("m1")).filteredOn(r -> r.metric().equals("alarms.virtual")).singleElement()
                    .as("a failed read while lost to the other driver").extracting(EnrichedReading::quality)
                    .isEqualTo(Quality.STALE);
            long failedRead = route.queued() - before - 1;
            p.withdraw("m1", "pm500.driver.other");
            p.accept(Sample.ok("m1", "identity", Instant.now(), List.of(new PointValue("serial", Value.of(8L)))));
            assertThat(p.newest("m1")).filteredOn(r -> r.metric().equals("serial")).singleElement()
                    .extracting(EnrichedReading::quality).isEqualTo(Quality.GOOD);
            p.connection("m1", DRIVER, ConnectionState.LOST);
            assertThat(route.queued() - before).as("the next loss").isEqualTo(3 + failedRead);
            assertThat(p.newest("unknown")).isEmpty();
            assertThat(p.readings()).as("readings made, by quality (the operator's view counts them)")
                    .containsEntry(Quality.GOOD, 3L).containsEntry(Quality.STALE, 2L + failedRead);
            assertThat(p.routes().sinks()).singleElement().satisfies(s -> assertThat(s.queuedBytesLimit())
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
            p.routes().route("historian");
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
        Route route = p.routes().route("historian");
        for (int i = 0; i < 2; i++) {
            p.accept(Sample.ok("m1", "identity", Instant.now(), List.of(new PointValue("serial", Value.of(7L)))));
            p.accept(sample(i));
            nanos.addAndGet(Duration.ofMillis(20).toNanos());
        }
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        return route;
    }

    /**
     * Issue 23: a poll loop's round of samples is taken in one call; one that cannot be enriched (here the monotonic
     * clock fails while it is) is named by the exception and does not keep the others of its round out.
     */
    @Test
    void aSampleThatCannotBeTakenDoesNotKeepTheRestOfItsRoundOut() {
        AtomicLong calls = new AtomicLong();
        try (Pipeline p = new Pipeline(dir, 1000, new Enrichment(EnrichSettings.of(3, new String[0], new String[0]),
                Map.of()), 1L << 30, Clock.systemUTC(), () -> {
                    if (calls.incrementAndGet() == 2) {
                        throw new IllegalStateException("clock fault");
                    }
                    return nanos.get();
                })) {
            Route route = p.routes().route("historian");
            Instant t = Instant.parse("2026-12-04T10:00:00Z");
            List<Sample> round = List.of("m1", "m2", "m3").stream().map(id -> Sample.ok(id, "status", t,
                    List.of(new PointValue("alarms.virtual", Value.of(1L))))).toList();
            assertThatThrownBy(() -> p.accept(round)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1 of 3 samples not taken").hasMessageContaining("meter m2, block status")
                    .hasMessageContaining("clock fault");
            assertThat(route.queued()).as("m1's and m3's readings").isEqualTo(2);
            assertThat(p.newest("m1")).hasSize(1);
            assertThat(p.newest("m3")).hasSize(1);

            calls.set(1); // the next call fails: a sample alone gets its own exception, as it always did
            assertThatThrownBy(() -> p.accept(round.get(0))).isInstanceOf(IllegalStateException.class)
                    .hasMessage("clock fault");
        }
    }

    /**
     * Issue 23: a round holds the routing lock from its first sample to its write, so every appender takes that lock
     * before a meter's monitor — the STALE stamps of the sweep and of a lost connection too. Rounds, sweeps that stamp
     * (1 ms intervals: every sweep finds blocks overdue) and routes being made (the lock's writer) run together here;
     * one path taking a meter's monitor first deadlocks them within a few hundred routes.
     */
    @Test
    void roundsStaleStampsAndNewRoutesTogetherDoNotDeadlock() throws Exception {
        try (Pipeline p = new Pipeline(dir, 1000, new Enrichment(EnrichSettings.of(3, new String[0], new String[0]),
                Map.of()), 1L << 30, Clock.systemUTC(), System::nanoTime)) {
            List<String> ids = List.of("m1", "m2", "m3");
            for (String id : ids) {
                p.announce(MeterPlan.of(id, DRIVER, DeviceProfiles.builtIn(DeviceProfiles.PM500),
                        Map.of("status", Duration.ofMillis(1))));
            }
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> threads = List.of(new Thread(() -> {
                while (!done.get()) {
                    Instant t = Instant.now();
                    p.accept(ids.stream().map(id -> Sample.ok(id, "status", t,
                            List.of(new PointValue("alarms.virtual", Value.of(1L))))).toList());
                    p.connection("m2", DRIVER, ConnectionState.LOST);
                    p.connection("m2", DRIVER, ConnectionState.CONNECTED);
                }
            }), new Thread(() -> {
                while (!done.get()) {
                    p.markStale();
                }
            }), new Thread(() -> {
                for (int i = 0; i < 300 && !done.get(); i++) {
                    p.routes().route("sink-" + i);
                }
                done.set(true);
            }));
            threads.forEach(t -> {
                t.setDaemon(true);
                t.start();
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            for (Thread t : threads) {
                t.join(Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis()));
            }
            done.set(true);
            assertThat(threads).as("no thread stuck").noneMatch(Thread::isAlive);
        }
    }
}
