package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.InfluxDbProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The pipeline and the InfluxDB sink bundle against a historian we did not write, Debian's InfluxDB 1.x (v1 write
 * path), started once for the class on an ephemeral port and stopped by PID: an outage is backfilled with no gap and
 * no duplicate, and writing resumes within 2 s of the server's return.
 */
@ExtendWith(FailureReport.class)
class InfluxDb1BundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static InfluxDbProcess influx;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    /** The feeders' acknowledgement files: removed after each test. */
    @TempDir
    Path tmp;

    @BeforeAll
    static void startInfluxDb() throws Exception {
        influx = InfluxDbProcess.start();
        influx.query(null, "CREATE DATABASE itest");
    }

    @AfterAll
    static void stopInfluxDb() throws Exception {
        influx.close();
    }

    @Test
    void anOutageIsBackfilledWithNoGapAndNoDuplicateAndWritingResumesWithinTwoSeconds() throws Exception {
        try (TestConfigs configs = new TestConfigs(configAdmin)) {
            configs.factory("pm500.route", "itest-influx1", Map.of("sinkName", "itest-influx1", "batchSize", 500));
            configs.factory("pm500.sink.influx", "itest-influx1", Map.of("sink.name", "itest-influx1", "api", "v1",
                    "url", influx.url(), "database", "itest", "measurement", "itest_outage", "meterTag", true,
                    "timeoutSeconds", 2));
            outageBackfill();
        }
    }

    private void outageBackfill() throws Exception {
        Path acks = Files.createTempFile(tmp, "acks", ".txt");
        Configuration feeder = Feeders.start(configAdmin, "influx1-outage", 20, acks);
        Outage outage;
        try {
            outage = outageWhileFeeding();
        } finally {
            feeder.delete();
        }
        Await.until(Duration.ofSeconds(120), () -> "sink status: " + status(),
                () -> status().queued() == 0 && status().state() == SinkState.UP);
        Set<Long> acked = new HashSet<>();
        Files.readAllLines(acks).forEach(l -> acked.add(Long.parseLong(l.trim())));
        List<Long> stored = counters();
        assertThat(new HashSet<>(stored)).as("every acknowledged reading, %d over a %d-reading outage",
                acked.size(), outage.queued()).containsAll(acked);
        assertThat(stored).as("one point per acquisition: a re-sent batch overwrites, never adds")
                .doesNotHaveDuplicates();
        assertThat(status().deadLettered()).isZero();
        System.out.printf("InfluxDB 1.x outage 15 s: %d readings queued, first write %d ms after the return, %d"
                + " acknowledged all stored%n", outage.queued(), outage.resumedMillis(), acked.size());
    }

    private record Outage(long queued, long resumedMillis) {
    }

    /** InfluxDB killed for 15 s while the feeder runs, then back: how much queued, how soon writing resumed. */
    private Outage outageWhileFeeding() throws Exception {
        Await.until(TIMEOUT, () -> "rows in InfluxDB", () -> counters().size() > 20);
        influx.kill();
        Await.until(TIMEOUT, () -> "sink state: " + status(), () -> status().state() == SinkState.RETRYING);
        Thread.sleep(15_000);
        long queued = status().queued();
        assertThat(queued).as("readings queued during the outage").isGreaterThan(300);
        Instant before = status().lastDelivery();
        influx.run();
        long back = System.nanoTime();
        Await.until(TIMEOUT, () -> "a delivery after the return: " + status(),
                () -> status().lastDelivery() != null && status().lastDelivery().isAfter(before));
        long resumedMillis = (System.nanoTime() - back) / 1_000_000;
        assertThat(resumedMillis).as("ms from the server's return to the first write").isLessThan(2000);
        return new Outage(queued, resumedMillis);
    }

    private List<Long> counters() throws Exception {
        List<Long> out = new ArrayList<>();
        influx.query("itest", "SELECT counter FROM itest_outage").at("/results/0/series/0/values")
                .forEach(row -> out.add(row.get(1).asLong()));
        return out;
    }

    private SinkStatus status() {
        return StatusSources.sink(context, "itest-influx1");
    }
}
