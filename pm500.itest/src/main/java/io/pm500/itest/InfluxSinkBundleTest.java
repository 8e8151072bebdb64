package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.DemoProcess;
import io.pm500.testkit.process.HistorianSql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The InfluxDB sink bundle in Felix (influxdb-client-java embedded) behind the real pipeline, writing to a real
 * historian (QuestDB, in its own process): a 60 s outage loses nothing, a type conflict goes to the dead-letter
 * file while the queue keeps moving, restarts leave nothing behind, a bad configuration refuses activation.
 */
@ExtendWith(FailureReport.class)
class InfluxSinkBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static Path demo;
    private static Path home;
    private static DemoProcess historian;
    private static HistorianSql sql;

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

    @BeforeAll
    static void startHistorian(@InjectBundleContext BundleContext context) throws Exception {
        demo = Path.of(context.getProperty("pm500.demo.dir"));
        home = Path.of(context.getProperty("pm500.data.dir"), "historian");
        historian = DemoProcess.historian(demo, home, 0);
        sql = new HistorianSql(historian.address());
    }

    @AfterAll
    static void stopHistorian() {
        historian.close();
    }

    @AfterEach
    void deleteConfigurations() throws Exception {
        for (Configuration c : configs) {
            c.delete();
        }
    }

    @Test
    void everyAcknowledgedReadingIsInTheHistorianAfterASixtySecondOutage() throws Exception {
        sink("itest-outage", "measurement", "itest_outage", "timeoutSeconds", 2);
        Path acks = Files.createTempFile(tmp, "acks", ".txt");
        Configuration feeder = feeder("influx-outage", acks);
        Await.until(TIMEOUT, () -> "rows in the historian", () -> rows("itest_outage") > 20);

        historian.close();
        long outageStart = System.nanoTime();
        Await.until(TIMEOUT, () -> "sink state: " + status("itest-outage"),
                () -> status("itest-outage").state() == SinkState.RETRYING);
        Thread.sleep(Math.max(0, 60_000 - (System.nanoTime() - outageStart) / 1_000_000));
        long queued = status("itest-outage").queued();
        assertThat(queued).as("readings queued during the outage").isGreaterThan(1000);
        historian = DemoProcess.historian(demo, home, historian.port());
        sql = new HistorianSql(historian.address());

        configs.remove(feeder);
        feeder.delete();
        Await.until(Duration.ofSeconds(120), () -> "sink status: " + status("itest-outage"),
                () -> status("itest-outage").queued() == 0 && status("itest-outage").state() == SinkState.UP);
        Set<Long> acked = new HashSet<>();
        Files.readAllLines(acks).forEach(l -> acked.add(Long.parseLong(l.trim())));
        // the historian applies its write-ahead log a moment after acknowledging
        Await.until(TIMEOUT, () -> "rows with a counter: " + counted("itest_outage") + " of " + acked.size(),
                () -> counted("itest_outage") >= acked.size());
        List<Map<String, Object>> rows = sql.query("select counter, seq from itest_outage where counter != null");
        Set<Object> counters = new HashSet<>();
        Set<Object> sequences = new HashSet<>();
        rows.forEach(r -> {
            counters.add(((Number) r.get("counter")).longValue()); // a float field: every numeric field is one
            sequences.add(r.get("seq"));
        });
        assertThat(counters).as("every acknowledged reading, %d of them over a %d-reading outage", acked.size(),
                queued).containsAll(acked);
        assertThat(sequences).as("the sequence id tells every duplicate row apart").hasSameSizeAs(counters);
        assertThat(rows.size() - sequences.size()).as("duplicate rows (at-least-once; removable by seq)")
                .isLessThanOrEqualTo(rows.size() / 10);
        assertThat(status("itest-outage").deadLettered()).isZero();
    }

    @Test
    void aTypeConflictGoesToTheDeadLetterFileAndTheQueueKeepsMoving() throws Exception {
        sql.query("create table itest_conflict (meter SYMBOL, phase SYMBOL, counter BOOLEAN, quality LONG,"
                + " seq LONG, timestamp TIMESTAMP) timestamp(timestamp) partition by day wal");
        sink("itest-conflict", "measurement", "itest_conflict");
        Path acks = Files.createTempFile(tmp, "acks", ".txt");
        feeder("influx-conflict", acks);
        Await.until(TIMEOUT, () -> "sink status: " + status("itest-conflict"),
                () -> status("itest-conflict").deadLettered() >= 50);
        SinkStatus s = status("itest-conflict");
        assertThat(s.lastError()).contains("cast error from protocol type: ").contains("to column type: BOOLEAN");
        Path deadLetters;
        try (Stream<Path> files = Files.walk(Path.of(context.getProperty("pm500.data.dir")))) {
            deadLetters = files.filter(p -> p.getFileName().toString().equals("itest-conflict.jsonl")).findFirst()
                    .orElseThrow();
        }
        assertThat(Files.readAllLines(deadLetters)).allSatisfy(l -> assertThat(l).contains("\"metric\":\"counter\"")
                .contains("cast error"));

        Await.until(TIMEOUT, () -> "the queue keeps moving: " + status("itest-conflict"),
                () -> status("itest-conflict").queued() < 50);

        // the operator points the sink at a fresh measurement: the same sink writes again
        Configuration c = configAdmin.getFactoryConfiguration("pm500.sink.influx", "itest-conflict", "?");
        Dictionary<String, Object> p = c.getProperties();
        p.put("measurement", "itest_conflict_fixed");
        c.update(p);
        Await.until(TIMEOUT, () -> "rows with a counter; sink status: " + status("itest-conflict"),
                () -> counted("itest_conflict_fixed") > 20);
    }

    @Test
    void twentyRestartsLeaveNoThreadsOrConnections() throws Exception {
        sink("itest-restarts", "measurement", "itest_restarts");
        Path acks = Files.createTempFile(tmp, "acks", ".txt");
        feeder("influx-restarts", acks);
        Await.until(TIMEOUT, () -> "rows", () -> rows("itest_restarts") > 5);
        Bundle bundle = ComponentStates.bundle(context, "pm500.sink.influx");
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < 20; i++) {
            bundle.stop();
            int stop = i;
            Await.until(TIMEOUT, () -> "connections to the historian after stop #" + stop + ": "
                    + Sockets.establishedTo(historian.port()), () -> Sockets.establishedTo(historian.port()) == 0);
            long before = rows("itest_restarts");
            bundle.start();
            Await.until(TIMEOUT, () -> "rows after start #" + stop, () -> rows("itest_restarts") > before);
        }
        assertThat(Thread.activeCount()).as("threads after 20 restarts").isLessThanOrEqualTo(threadsBefore + 2);
        // OkHttp's task runner (one per bundle class loader, reused across restarts) ends its idle thread 60 s after
        // its last task, the pool's 10 s idle-connection timer
        bundle.stop();
        try {
            Await.until(Duration.ofSeconds(120), () -> "HTTP threads after the last stop: " + httpThreads(),
                    () -> httpThreads().isEmpty());
        } finally {
            bundle.start();
        }
    }

    @Test
    void aMissingBucketRefusesActivationWithTheReason() throws Exception {
        Configuration c = configAdmin.getFactoryConfiguration("pm500.sink.influx", "itest-nobucket", "?");
        configs.add(c);
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("sink.name", "itest-nobucket");
        p.put("url", historian.address());
        c.update(p);
        Await.until(TIMEOUT, () -> "the sink component's state: " + states(), () -> states().stream()
                .anyMatch(d -> d.state == ComponentConfigurationDTO.FAILED_ACTIVATION && d.failure != null
                        && d.failure.contains("influx: bucket is empty")));
    }

    private void sink(String name, Object... more) throws Exception {
        Configuration route = configAdmin.getFactoryConfiguration("pm500.route", name, "?");
        configs.add(route);
        Dictionary<String, Object> r = new Hashtable<>();
        r.put("sinkName", name);
        r.put("batchSize", 200);
        route.update(r);
        Configuration c = configAdmin.getFactoryConfiguration("pm500.sink.influx", name, "?");
        configs.add(c);
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("sink.name", name);
        p.put("url", historian.address());
        p.put("bucket", "pm500");
        p.put("meterTag", true);
        for (int i = 0; i < more.length; i += 2) {
            p.put((String) more[i], more[i + 1]);
        }
        c.update(p);
    }

    private Configuration feeder(String meterId, Path acks) throws Exception {
        Configuration c = Feeders.start(configAdmin, meterId, 20, acks);
        configs.add(c);
        return c;
    }

    private SinkStatus status(String name) {
        return StatusSources.sink(context, name);
    }

    private static long rows(String table) {
        return count("select count() from " + table);
    }

    private static long counted(String table) {
        return count("select count() from " + table + " where counter != null");
    }

    private static long count(String query) {
        try {
            return sql.count(query);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<ComponentConfigurationDTO> states() {
        return ComponentStates.of(context, scr, "pm500.sink.influx");
    }

    private static List<String> httpThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("OkHttp") || n.contains("Rx")).toList();
    }
}
