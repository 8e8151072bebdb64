package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.testkit.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The pipeline in Felix, fed by the simulator through the Modbus driver (or the test kit's feeder), delivering to
 * the test kit's recording sink and to a reference sink registered here that never fails: whatever the recording
 * sink goes through, after de-duplication it must hold exactly what the reference sink got.
 */
@ExtendWith(FailureReport.class)
class PipelineBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    /** The feeders' acknowledgement files: removed after each test. */
    @TempDir
    Path tmp;
    @InjectService
    ServiceComponentRuntime scr;

    private final List<Configuration> configs = new ArrayList<>();
    private final List<String> sinkNames = new ArrayList<>();
    private final List<EnrichedReading> reference = new CopyOnWriteArrayList<>();
    private ServiceRegistration<Sink> referenceSink;
    private final String run = Long.toString(System.nanoTime(), 36);

    @AfterEach
    void cleanUp() throws Exception {
        for (Configuration c : configs) {
            c.delete();
        }
        Configuration[] simulator = configAdmin.listConfigurations("(service.pid=pm500.simulator)");
        if (simulator != null) {
            simulator[0].delete();
        }
        if (referenceSink != null) {
            referenceSink.unregister();
        }
        Configuration pipeline = configAdmin.getConfiguration("pm500.pipeline", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("retiredSinks", sinkNames.toArray(String[]::new));
        pipeline.update(p);
        Await.until(TIMEOUT, () -> "outboxes left: " + sinks().keySet(),
                () -> sinkNames.stream().noneMatch(sinks()::containsKey));
        pipeline.delete();
    }

    @Test
    void sinkFailingThirtySecondsGetsEveryReadingOnceInPerMeterOrder() throws Exception {
        String ref = referenceSink();
        String flaky = name("flaky");
        Path file = recordingSink(flaky, 30);
        startMeters(2);
        Await.until(Duration.ofSeconds(10), () -> "status: " + sinks().get(flaky),
                () -> sinks().get(flaky).failedTries() > 0 && sinks().get(flaky).queued() > 0);
        Await.until(Duration.ofSeconds(45), () -> "status: " + sinks().get(flaky),
                () -> sinks().get(flaky).state().name().equals("UP") && sinks().get(flaky).delivered() > 0);
        stopSourcesAndDrain(flaky, ref);

        List<Line> lines = assertEveryReadingOnceInOrder(file);
        assertThat(lines).anyMatch(l -> !l.historical());
    }

    @Test
    void sinkBundleStoppedForAWhileLosesNothing() throws Exception {
        String ref = referenceSink();
        String name = name("restarted");
        Path file = recordingSink(name, 0);
        startMeters(1);
        Await.until(TIMEOUT, () -> "status: " + sinks().get(name), () -> sinks().get(name).delivered() > 20);
        Bundle testkit = bundle("pm500.testkit");
        testkit.stop();
        Await.until(TIMEOUT, () -> "status: " + sinks().get(name),
                () -> sinks().get(name).state().name().equals("ABSENT"));
        long queuedBefore = sinks().get(name).queued();
        // an outage long enough to matter: at least 50 readings wait for the stopped sink
        Await.until(TIMEOUT, () -> "the outbox fills while the sink bundle is stopped: " + sinks().get(name),
                () -> sinks().get(name).queued() >= queuedBefore + 50);
        testkit.start();
        stopSourcesAndDrain(name, ref);
        assertEveryReadingOnceInOrder(file);
    }

    @Test
    void fullOutboxDropsTheOldestAndCountsExactly() throws Exception {
        String ref = referenceSink();
        String full = name("full");
        Configuration route = factory("pm500.route", full);
        route.update(props("sinkName", full, "maxMegabytes", 1));
        Await.until(TIMEOUT, () -> "outboxes: " + sinks().keySet(), () -> sinks().containsKey(full));
        Path acks = Files.createTempFile(tmp, "acks", ".txt");
        Configuration feeder = factory("pm500.testkit.feeder", name("feeder"));
        String fed = name("fed");
        feeder.update(props("meterId", fed, "periodMillis", 0, "ackFile", acks.toString()));
        Await.until(Duration.ofSeconds(60), () -> "status: " + sinks().get(full), () -> sinks().get(full).dropped()
                > 1000);
        configs.removeIf(c -> c == feeder);
        feeder.delete();
        // the fed block's last reading is its STALE stamp: after it nothing more comes
        Await.until(TIMEOUT, () -> "reference got " + reference.size() + " of " + sinks().get(ref),
                () -> lastIsStale(fed, "counter") && sinks().get(ref).queued() == 0 && quiet(ref));

        SinkStatus s = sinks().get(full);
        assertThat(s.dropped() + s.queued()).as("dropped + queued = everything appended").isEqualTo(reference.size());
        assertThat(s.queuedBytes()).isLessThanOrEqualTo(1024 * 1024);

        Path file = recordingSink(full, 0);
        Await.until(TIMEOUT, () -> "status: " + sinks().get(full), () -> sinks().get(full).queued() == 0);
        List<Line> lines = Line.read(file);
        List<Long> newest = reference.stream().map(EnrichedReading::sequence).sorted()
                .skip(reference.size() - s.queued()).toList();
        List<Long> kept = lines.stream().map(Line::sequence).sorted().toList();
        assertThat(kept).as("the newest readings were kept: got %d from %d to %d, expected %d from %d to %d",
                kept.size(), kept.get(0), kept.get(kept.size() - 1), newest.size(), newest.get(0),
                newest.get(newest.size() - 1)).isEqualTo(newest);
    }

    /**
     * Every reading carries its meter's asset, up to the last one before the pipeline bundle stops and from the first
     * one after it starts again: the registry is Config Admin's, not the asset components', which SCR may deactivate
     * before (and activate after) the pipeline. An asset configuration with a value that is not a number (for a meter
     * that does not exist) disables only itself, with its key and value named: before, it stopped every asset
     * change and, at the next start, the pipeline and with it every meter.
     */
    @Test
    void everyReadingCarriesItsAssetAcrossPipelineRestartsBesideABadAsset() throws Exception {
        String ref = referenceSink();
        factory("pm500.asset", "bad-" + run).update(props("meterId", "bad-7", "ctRatio", "abc"));
        startMeters(1);
        String meterId = "pipe-" + run + "-0";
        String asset = "press-" + run;
        factory("pm500.asset", "pipeline-" + run).update(props("meterId", meterId, "site", "plant", "area", "line",
                "asset", asset));
        Await.until(TIMEOUT, () -> "a reading of asset " + asset, () -> reference.stream()
                .anyMatch(r -> r.asset().equals(asset)));
        long firstWithAsset = reference.stream().filter(r -> r.asset().equals(asset))
                .mapToLong(EnrichedReading::sequence).min().orElseThrow();
        Bundle enrich = bundle("pm500.enrich");
        for (int i = 0; i < 3; i++) {
            enrich.stop();
            enrich.start();
            int restart = i;
            Await.until(TIMEOUT, () -> "readings after restart #" + restart, () -> sinks().containsKey(ref)
                    && sinks().get(ref).delivered() > 20);
        }
        stopSourcesAndDrain(ref, ref);
        List<EnrichedReading> later = reference.stream().filter(r -> r.sequence() > firstWithAsset).toList();
        assertThat(later).as("readings after the asset was configured").hasSizeGreaterThan(3 * 20)
                .allSatisfy(r -> assertThat(r.asset()).as("asset of %s", r).isEqualTo(asset));
        String bad = "pm500.asset~bad-" + run;
        Await.until(TIMEOUT, () -> "refused: " + StatusSources.refused(context), () -> StatusSources
                .refused(context).stream().anyMatch(r -> r.pid().equals(bad)));
        assertThat(StatusSources.refused(context)).filteredOn(r -> r.pid().equals(bad)).singleElement()
                .as("why the bad asset is not used, as the operator view and /health show it")
                .satisfies(r -> assertThat(r.reason()).contains("configuration " + bad
                        + " refused: ctRatio = 'abc' is not a number"));
    }

    /**
     * Issue 21 (lifecycle): a sink renamed in its configuration (a DS component with @Modified keeps its service and
     * changes its properties) kept the route of its old name, and its later departure was not noticed. Now it gets
     * the route of its new name; the old name's outbox keeps what waits (ABSENT); unregistering it is seen.
     */
    @Test
    void aSinkRenamedInItsConfigurationDeliversUnderItsNewName() throws Exception {
        String before = name("before");
        String after = name("after");
        List<EnrichedReading> got = new CopyOnWriteArrayList<>();
        ServiceRegistration<Sink> sink = context.registerService(Sink.class, (batch, historical) -> got.addAll(batch),
                new Hashtable<>(Map.of(Sink.NAME, before)));
        try {
            startMeters(1);
            Await.until(TIMEOUT, () -> "status: " + sinks().get(before), () -> sinks().containsKey(before)
                    && sinks().get(before).delivered() > 20);
            // what DS does when such a sink's configuration is modified: the same service, new properties
            sink.setProperties(new Hashtable<>(Map.of(Sink.NAME, after)));
            Await.until(TIMEOUT, () -> "status: " + sinks(), () -> sinks().containsKey(after)
                    && sinks().get(after).state() == SinkState.UP && sinks().get(after).delivered() > 20
                    && sinks().get(before).state() == SinkState.ABSENT);
            long waiting = sinks().get(before).queued();
            Await.until(TIMEOUT, () -> "old name's outbox: " + sinks().get(before),
                    () -> sinks().get(before).queued() > waiting);
        } finally {
            sink.unregister();
        }
        Await.until(TIMEOUT, () -> "status: " + sinks().get(after),
                () -> sinks().get(after).state() == SinkState.ABSENT);
        assertThat(got).isNotEmpty();
    }

    /**
     * Issue 21 (lifecycle): {@code retiredSinks} was applied in the pipeline's constructor, before any sink was bound,
     * so a restarted pipeline deleted the outbox of a sink that was there all along. It now applies once the sinks
     * present are bound.
     */
    @Test
    void aRestartedPipelineSparesTheOutboxOfASinkThatIsThere() throws Exception {
        String name = name("spared");
        ServiceRegistration<Sink> sink = context.registerService(Sink.class, (batch, historical) -> {
            throw SinkException.retriable("destination down (test)", null);
        }, new Hashtable<>(Map.of(Sink.NAME, name)));
        try {
            startMeters(1);
            Await.until(TIMEOUT, () -> "status: " + sinks().get(name), () -> sinks().containsKey(name)
                    && sinks().get(name).queued() > 20);
            for (Configuration c : configs.stream().filter(c -> "pm500.driver.modbus".equals(c.getFactoryPid()))
                    .toList()) {
                configs.remove(c);
                c.delete();
            }
            Await.until(TIMEOUT, () -> "still fed: " + sinks().get(name), () -> {
                long queued = sinks().get(name).queued();
                Thread.sleep(1500); // the meter's last readings (STALE stamps) come within 3 intervals
                return sinks().get(name).queued() == queued;
            });
            long waiting = sinks().get(name).queued();
            configAdmin.getConfiguration("pm500.pipeline", "?").update(props("retiredSinks",
                    new String[] { name }));
            Bundle enrich = bundle("pm500.enrich");
            enrich.stop();
            enrich.start();
            Await.until(TIMEOUT, () -> "status: " + sinks().get(name), () -> sinks().containsKey(name)
                    && sinks().get(name).state() == SinkState.RETRYING);
            // the status is there once the pipeline has activated: a retirement would have come before
            assertThat(sinks().get(name).queued()).as("readings still waiting for the sink that is there")
                    .isEqualTo(waiting);
        } finally {
            sink.unregister();
        }
    }

    // ---- fixtures ----

    private String name(String what) {
        String n = "it-" + what + "-" + run;
        sinkNames.add(n);
        return n;
    }

    private Path recordingSink(String name, int failForSeconds) throws Exception {
        Path file = Files.createTempFile(name, ".txt");
        factory("pm500.testkit.sink", name).update(props("sink.name", name, "file", file.toString(),
                "failForSeconds", failForSeconds));
        Await.until(TIMEOUT, () -> "outboxes: " + sinks().keySet(), () -> sinks().containsKey(name)
                && !sinks().get(name).state().name().equals("ABSENT"));
        return file;
    }

    /**
     * Registers the reference sink, first, so that it gets everything any sink registered later gets; then waits
     * until meters of earlier tests have had their last (STALE) readings, so that nothing but this test's meters
     * feeds the pipeline.
     */
    private String referenceSink() throws Exception {
        String name = name("reference");
        referenceSink = context.registerService(Sink.class, (batch, historical) -> reference.addAll(batch),
                new Hashtable<>(Map.of(Sink.NAME, name)));
        Await.until(TIMEOUT, () -> "outboxes: " + sinks().keySet(), () -> sinks().containsKey(name));
        Await.until(TIMEOUT, () -> "pipeline still fed: " + sinks().get(name), () -> quiet(name, 1500));
        reference.clear();
        return name;
    }

    private void startMeters(int meters) throws Exception {
        int base = SimulatedMeters.freePortPair();
        SimulatedMeters.configure(configAdmin, scr, meters, base);
        for (int i = 0; i < meters; i++) {
            Configuration c = factory("pm500.driver.modbus", "pipeline-" + run + "-" + i);
            c.update(props("meterId", "pipe-" + run + "-" + i, "host", "127.0.0.1", "port", base + 2 * i,
                    "blockIntervals", new String[] { "energy=100", "status=100", "info=0" }));
        }
    }

    /** Stops the meters, lets the STALE stamps pass, and waits until both sinks have nothing queued. */
    private void stopSourcesAndDrain(String sink, String ref) throws Exception {
        List<Configuration> drivers = configs.stream().filter(c -> "pm500.driver.modbus".equals(c.getFactoryPid()))
                .toList();
        configs.removeAll(drivers);
        for (Configuration c : drivers) {
            c.delete();
        }
        configAdmin.getConfiguration("pm500.simulator", "?").delete();
        // the meters' last readings: each polled block stamped STALE once its samples stop
        Set<String> meterIds = new HashSet<>();
        reference.forEach(r -> meterIds.add(r.meterId()));
        Await.until(Duration.ofSeconds(10), () -> "meters whose blocks are not yet stamped STALE: " + meterIds,
                () -> meterIds.stream().allMatch(m -> lastIsStale(m, "energy.active.import.total")
                        && lastIsStale(m, "alarms.virtual")));
        Await.until(Duration.ofSeconds(30), () -> "sinks: " + sinks().get(sink) + " / " + sinks().get(ref),
                () -> sinks().get(sink).queued() == 0 && sinks().get(ref).queued() == 0 && quiet(ref));
    }

    /**
     * The newest reading (highest sequence: the pipeline numbers a meter's readings in order) of the meter's metric
     * the reference sink got is STALE. Not the last to arrive: backlog replayed after a restart comes in after live
     * readings.
     */
    private boolean lastIsStale(String meterId, String metric) {
        return List.copyOf(reference).stream() // the sink keeps adding
                .filter(r -> r.meterId().equals(meterId) && r.metric().equals(metric))
                .max(Comparator.comparingLong(EnrichedReading::sequence))
                .map(r -> r.quality() == Quality.STALE).orElse(false);
    }

    /** No new readings for the reference sink over half a second. */
    private boolean quiet(String ref) throws InterruptedException {
        return quiet(ref, 500);
    }

    private boolean quiet(String ref, long millis) throws InterruptedException {
        long before = sinks().get(ref).delivered();
        Thread.sleep(millis);
        return sinks().get(ref).delivered() == before && sinks().get(ref).queued() == 0;
    }

    /** The sink's file holds, after de-duplication, what the reference got, in per-meter order, some historical. */
    private List<Line> assertEveryReadingOnceInOrder(Path file) throws IOException {
        List<Line> lines = Line.read(file);
        assertThat(lines).anyMatch(Line::historical);
        assertExactlyOnce(lines);
        assertPerMeterOrder(lines);
        return lines;
    }

    private void assertExactlyOnce(List<Line> lines) {
        Set<Long> received = new HashSet<>();
        lines.forEach(l -> received.add(l.sequence()));
        Set<Long> expected = new HashSet<>();
        reference.forEach(r -> expected.add(r.sequence()));
        assertThat(expected).as("reference readings").hasSizeGreaterThan(50);
        Set<Long> missing = new java.util.TreeSet<>(expected);
        missing.removeAll(received);
        Set<Long> extra = new java.util.TreeSet<>(received);
        extra.removeAll(expected);
        assertThat(missing).as("readings the reference sink got and this one did not (of %d)", expected.size())
                .isEmpty();
        assertThat(extra).as("readings this sink got and the reference did not").isEmpty();
    }

    /** Within the live stream and within the historical stream, each meter's readings come in sequence order. */
    private static void assertPerMeterOrder(List<Line> lines) {
        Map<String, Long> last = new HashMap<>();
        for (Line l : lines) {
            String key = l.meterId() + "/" + l.historical();
            Long before = last.put(key, l.sequence());
            if (before != null && l.sequence() <= before) {
                // a repeat after a retried batch restarts the order; anything else is a reordering
                assertThat(lines.stream().filter(x -> x.sequence() == l.sequence()).count())
                        .as("reading %d of %s arrived after %d", l.sequence(), key, before).isGreaterThan(1);
            }
        }
    }

    private Configuration factory(String pid, String name) throws IOException {
        Configuration c = configAdmin.getFactoryConfiguration(pid, name, "?");
        configs.add(c);
        return c;
    }

    private static Dictionary<String, Object> props(Object... kv) {
        Dictionary<String, Object> p = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            p.put((String) kv[i], kv[i + 1]);
        }
        return p;
    }

    private Bundle bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow();
    }

    private Map<String, SinkStatus> sinks() {
        Map<String, SinkStatus> all = new HashMap<>();
        StatusSources.sinks(context).forEach(s -> all.put(s.sinkName(), s));
        return all;
    }

    /** One line of the recording sink's file. */
    record Line(long sequence, String meterId, String metric, boolean historical) {
        static List<Line> read(Path file) throws IOException {
            return Files.readAllLines(file).stream().map(l -> l.split(" "))
                    .map(f -> new Line(Long.parseLong(f[0]), f[1], f[2], Boolean.parseBoolean(f[5]))).toList();
        }
    }
}
