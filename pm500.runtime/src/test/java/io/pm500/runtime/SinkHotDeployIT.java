package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21 (sink SDK): a sink written outside the gateway's build (examples/pm500.example.sink.jsonl, its own POM,
 * only the exported API) dropped into a running gateway's {@code deploy/} receives the readings its route's outbox
 * kept before it came; taken out, its outbox keeps filling; put back, it gets the backlog (as historical) and the
 * live readings, each once, with no hole.
 */
class SinkHotDeployIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private GatewayProcess gateway;
    private final HttpClient http = HttpClient.newHttpClient();
    private String metrics;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aSinkBundleDroppedIntoDeployGetsItsBacklogAndSurvivesItsRemovalAndReturn() throws Exception {
        gateway = GatewayProcess.demo(home);
        Path conf = home.resolve("conf");
        int base = GatewayProcess.freePorts(2);
        Files.writeString(conf.resolve("pm500.simulator.cfg"), "meters=1\nhost=127.0.0.1\nbasePort=" + base
                + "\nseed=1\nprofile=pm500\n");
        Files.writeString(conf.resolve("pm500.driver.modbus-m1.cfg"), "meterId=m1\nhost=127.0.0.1\nport=" + base
                + "\nblockIntervals=info=0, status=500, energy=1000\n");
        // the route makes the outbox before any sink of that name exists
        Files.writeString(conf.resolve("pm500.route-lines.cfg"), "sinkName=lines\n");
        Path lines = home.resolve("lines.jsonl");
        Files.writeString(conf.resolve("pm500.example.sink.jsonl-lines.cfg"), "sink.name=lines\nfile=" + lines
                + "\n");
        int port = GatewayProcess.freePort();
        gateway.launch(port);
        gateway.await(GatewayProcess.CONSOLE, START);
        metrics = "http://127.0.0.1:" + port + "/metrics";

        awaitMetric("pm500_sink_queued_readings", q -> q > 50, "readings kept for the sink not yet deployed");
        assertThat(metric("pm500_sink_up")).isZero();
        assertThat(lines).doesNotExist();

        Path deployed = home.resolve("deploy").resolve("example-sink.jar");
        Files.createDirectories(deployed.getParent());
        Files.copy(GatewayProcess.bundleJar("pm500.example.sink.jsonl"), deployed);
        awaitMetric("pm500_sink_up", up -> up == 1, "the deployed sink bound");
        awaitMetric("pm500_sink_queued_readings", q -> q == 0, "the backlog delivered");

        Files.delete(deployed);
        awaitMetric("pm500_sink_up", up -> up == 0, "the sink gone with its bundle");
        awaitMetric("pm500_sink_queued_readings", q -> q > 50, "readings kept while it is out");

        Files.copy(GatewayProcess.bundleJar("pm500.example.sink.jsonl"), deployed);
        awaitMetric("pm500_sink_up", up -> up == 1, "the sink back");
        awaitMetric("pm500_sink_queued_readings", q -> q == 0, "the backlog delivered again");

        List<JsonNode> got = new ArrayList<>();
        for (String line : Files.readAllLines(lines)) {
            got.add(JSON.readTree(line));
        }
        Set<Long> sequences = new HashSet<>();
        got.forEach(r -> assertThat(sequences.add(r.path("sequence").asLong())).as("once: %s", r).isTrue());
        assertThat(got).as("backlog replayed as historical").anyMatch(r -> r.path("historical").asBoolean());
        assertThat(got).as("live readings").anyMatch(r -> !r.path("historical").asBoolean());
        // the status block, read every 500 ms, has no hole across both times the sink was missing
        List<Instant> status = got.stream().filter(r -> r.path("metric").asText().equals("alarms.virtual"))
                .map(r -> Instant.parse(r.path("acquiredAt").asText())).sorted().toList();
        assertThat(status.size()).isGreaterThan(10);
        for (int i = 1; i < status.size(); i++) {
            assertThat(Duration.between(status.get(i - 1), status.get(i))).as("gap before %s", status.get(i))
                    .isLessThan(Duration.ofMillis(1500));
        }
        System.out.printf("hot-deployed sink: %d readings in %s, %d historical, status block %s..%s%n", got.size(),
                lines.getFileName(), got.stream().filter(r -> r.path("historical").asBoolean()).count(),
                status.get(0), status.get(status.size() - 1));
    }

    private void awaitMetric(String name, DoublePredicate condition, String what) throws Exception {
        long deadline = System.nanoTime() + STEP.toNanos();
        double value;
        do {
            value = metric(name);
            if (condition.test(value)) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(what + ": " + name + "{sink=\"lines\"} is " + value + " after " + STEP
                + "; gateway output:\n" + String.join("\n", gateway.output()));
    }

    /** The sink's sample of a metric in /metrics (Prometheus text, no login); NaN while it has none. */
    private double metric(String name) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(metrics)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("^" + name + "\\{sink=\"lines\"\\} (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
