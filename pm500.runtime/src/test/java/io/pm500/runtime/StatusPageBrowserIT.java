package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pm500.api.profile.ModbusSection;
import io.pm500.profile.DeviceProfiles;
import io.pm500.testkit.process.ChromiumProcess;
import io.pm500.testkit.process.KnownRegisters;
import io.pm500.testkit.process.PyModbusPeer.Server;
import io.pm500.testkit.process.PyModbusPeer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: the operator's page in a real browser (Debian's Chromium, headless), live, never reloaded: a Modbus meter
 * (Debian's pymodbus as the meter) CONNECTED with GOOD values, a sink whose destination fails for its first seconds
 * RETRYING with a growing queue, then UP with the queue drained; the meter killed, LOST with every value STALE within
 * 5 s. {@code /metrics} says the same to a Prometheus parser. Takes the screenshot the README shows.
 */
class StatusPageBrowserIT {
    private static final Pattern SINK_LEGEND = Pattern.compile("■ queued: (\\d+) \\(");
    private static final Pattern PASSWORD = Pattern.compile("generated password for user 'admin': (\\S+)");
    private static final Duration START = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the page shows, read from its DOM. */
    private static final String VIEW = """
            (() => {
              const m = document.querySelector('tr[data-meter="pm1"]');
              const s = document.querySelector('tr[data-sink="rec"]');
              return {
                marker: window.pm500Marker === 1,
                meter: m ? m.querySelector('td.state .name').textContent : null,
                asset: m ? m.children[1].textContent : null,
                sink: s ? s.querySelector('td.state').textContent : null,
                queued: s ? Number(s.querySelector('td.queued').textContent) : -1,
                qualities: [...document.querySelectorAll('tr[data-value^="pm1/"] td.quality')].map(t => t.textContent),
                sinkChart: document.querySelectorAll('[data-chart-sink="rec"] svg path').length,
                sinkLegend: (document.querySelector('[data-chart-sink="rec"] .legend') || {}).textContent,
                meterChart: document.querySelectorAll('[data-chart-meter="pm1"] svg path').length
              };
            })()""";

    @TempDir
    Path home;
    @TempDir
    Path browserHome;
    private GatewayProcess gateway;
    private ChromiumProcess chromium;
    private PyModbusPeer meter;

    @AfterEach
    void stop() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (meter != null) {
            meter.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void thePageShowsMetersValuesAndSinksLiveAsTheyFailAndRecover() throws Exception {
        ModbusSection map = DeviceProfiles.builtIn("pm500").modbus();
        meter = new PyModbusPeer(KnownRegisters.of(map).registers(), List.of(Server.normal("values")));
        gateway = new GatewayProcess(home);
        gateway.deployTestkit();
        Path conf = home.resolve("conf");
        Files.writeString(conf.resolve("pm500.driver.modbus-pm1.cfg"), "meterId=pm1\nhost=127.0.0.1\nport="
                + meter.port("values") + "\nblockIntervals=info=0, status=500, energy=1000\ntimeoutMillis=300"
                + "\nlostAfter=2\n");
        Files.writeString(conf.resolve("pm500.asset-pm1.cfg"), "meterId=pm1\nasset=feeder-1\nsite=plant\n");
        Path sink = conf.resolve("pm500.testkit.sink-rec.cfg");
        Files.writeString(sink, "sink.name=rec\nfile=" + home.resolve("received.txt") + "\n");
        Files.writeString(conf.resolve("pm500.health.sinks.cfg"), "stalledSeconds=2\n");
        // power is read over EtherNet/IP; this meter is read over Modbus
        Files.writeString(conf.resolve("pm500.status.history.cfg"), "meterMetric=energy.active.import.total\n");
        int port = GatewayProcess.freePort();
        gateway.launch(port);
        String password = gateway.await(PASSWORD, START);
        gateway.await(GatewayProcess.CONSOLE, START);

        chromium = ChromiumProcess.start(browserHome.resolve("profile"));
        chromium.open("http://admin:" + password + "@127.0.0.1:" + port + "/system/console/bundles");
        String page = "http://127.0.0.1:" + port + "/system/console/pm500";
        gateway.awaitAudit("\"action\":\"login\"", START); // the browser has its credentials cached
        chromium.open(page);
        awaitView(page, v -> v.path("meter").asText().equals("CONNECTED"), Duration.ofSeconds(30));
        chromium.evaluate(page, "window.pm500Marker = 1");
        // the page asks for the values of the meters whose values are open
        chromium.evaluate(page, "document.querySelector('details[data-values=\"pm1\"]').open = true");
        // the sink fails for 8 s from now (its component starts again with the new configuration), not from the
        // gateway's start: the meter polls within a second of it, before the browser has even logged in
        Files.writeString(sink, "sink.name=rec\nfile=" + home.resolve("received.txt") + "\nfailForSeconds=8\n");
        String health = "http://127.0.0.1:" + port + "/health";
        awaitHealth(health + "?tags=sinks", 503, "sink rec: ", Duration.ofSeconds(10));

        List<String> sinkStates = new ArrayList<>();
        JsonNode backlog = awaitView(page, v -> {
            sinkStates.add(v.path("sink").asText() + ":" + v.path("queued").asLong());
            return v.path("sink").asText().equals("RETRYING") && v.path("queued").asLong() > 0;
        }, Duration.ofSeconds(10));
        long queuedWhileDown = backlog.path("queued").asLong();
        JsonNode live = awaitView(page, v -> v.path("sink").asText().equals("UP") && v.path("queued").asLong() == 0
                && !v.path("qualities").isEmpty() && all(v, "GOOD"), Duration.ofSeconds(30));
        assertThat(live.path("asset").asText()).isEqualTo("feeder-1");
        awaitHealth(health, 200, "1 of 1 meters polled within 3 intervals", Duration.ofSeconds(10));
        assertThat(live.path("qualities").size()).as("values of pm1 on the page").isGreaterThan(7);
        // the charts drawn, the sink's showing the backlog drained: at most one poll's readings queued at its last
        // point (not always 0: the history samples once a second at a fixed phase to the poll, and may come each
        // time while a poll's readings wait for the courier)
        int onePoll = live.path("qualities").size();
        awaitView(page, v -> v.path("sinkChart").asInt() == 2 && v.path("meterChart").asInt() == 1
                && lastQueued(v.path("sinkLegend").asText()) <= onePoll, Duration.ofSeconds(15));
        chromium.screenshot(page, Path.of("target", "status-page.png"));

        JsonNode status = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(page
                + "/status.json?values=*")).header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:"
                + password).getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString()).body());
        HttpResponse<String> hcPlugin = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/system/console/healthcheck?tags=pm500")).header("Authorization",
                "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(hcPlugin.statusCode()).as("the Felix health check plugin of the Web Console").isEqualTo(200);
        assertThat(hcPlugin.body()).contains("PM500 meters", "PM500 sinks", "PM500 gateway");
        Set<String> empty = new TreeSet<>();
        Set<String> actual = shape(status, empty);
        Set<String> documented = shape(documentedExample(), new TreeSet<>());
        documented.removeIf(p -> empty.stream().anyMatch(e -> p.startsWith(e + "[]")));
        assertThat(actual).as("status.json against the example in docs/operations.md (lists empty here: %s)", empty)
                .isEqualTo(documented);

        String metrics = "http://127.0.0.1:" + port + "/metrics";
        JsonNode scraped = scrape(metrics);
        assertThat(sample(scraped, "pm500_meter_up", "meter", "pm1").path("labels").path("asset").asText())
                .isEqualTo("feeder-1");
        assertThat(sample(scraped, "pm500_meter_up", "meter", "pm1").path("value").asDouble()).isEqualTo(1.0);
        assertThat(sample(scraped, "pm500_sink_delivered_total", "sink", "rec").path("value").asDouble())
                .isGreaterThan(0);
        assertThat(sample(scraped, "pm500_sink_failed_tries_total", "sink", "rec").path("value").asDouble())
                .isGreaterThan(0);
        assertThat(scraped.fieldNames()).toIterable().contains("pm500_data_free_bytes", "jvm_memory_used_bytes",
                "pm500_meter_poll_seconds_bucket", "pm500_sink_queued_bytes_limit");
        assertThat(labelled(scraped, "pm500_meter_polls_total", "block", "status", "result", "ok").path("value")
                .asDouble()).isGreaterThan(0);
        assertThat(sample(scraped, "pm500_meter_poll_seconds_count", "meter", "pm1").path("value").asDouble())
                .isGreaterThan(0);
        assertThat(sample(scraped, "pm500_readings_total", "quality", "GOOD").path("value").asDouble())
                .isGreaterThan(0);

        meter.close();
        meter = null;
        long killed = System.nanoTime();
        JsonNode lost = awaitView(page, v -> v.path("meter").asText().equals("LOST") && all(v, "STALE"),
                Duration.ofSeconds(5));
        assertThat(sample(scrape(metrics), "pm500_meter_up", "meter", "pm1").path("value").asDouble()).isZero();
        awaitHealth(health, 503, "meter pm1 at 127.0.0.1:", Duration.ofSeconds(5));
        System.out.printf("status page: sink RETRYING with %d queued, then UP; meter LOST with %d values STALE %d ms"
                + " after its server was killed (page states seen: %s)%n", queuedWhileDown, lost.path("qualities")
                .size(), (System.nanoTime() - killed) / 1_000_000, sinkStates.stream().distinct().limit(8).toList());
        assertThat(lost.path("marker").asBoolean()).as("the same page, never reloaded").isTrue();
    }

    /**
     * {@code /metrics} without a login, asked for as OpenMetrics and parsed by a parser we did not write (the Python
     * Prometheus client's OpenMetrics parser, Debian's python3-prometheus-client): sample name → samples.
     */
    private static JsonNode scrape(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/openmetrics-text"));
        Process parser = new ProcessBuilder(PyModbusPeer.PYTHON, "-c", """
                import json, sys
                from prometheus_client.openmetrics.parser import text_string_to_metric_families
                out = {}
                for family in text_string_to_metric_families(sys.stdin.read()):
                    for s in family.samples:
                        out.setdefault(s.name, []).append({'labels': s.labels, 'value': s.value})
                print(json.dumps(out))
                """).redirectErrorStream(true).start();
        parser.getOutputStream().write(r.body().getBytes(StandardCharsets.UTF_8));
        parser.getOutputStream().close();
        String out = new String(parser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(parser.waitFor()).as("the OpenMetrics parser on:%n%s%n%s", r.body(), out).isZero();
        return JSON.readTree(out);
    }

    private static JsonNode labelled(JsonNode scraped, String name, String label, String value, String label2,
            String value2) {
        for (JsonNode s : scraped.path(name)) {
            if (s.path("labels").path(label).asText().equals(value)
                    && s.path("labels").path(label2).asText().equals(value2)) {
                return s;
            }
        }
        throw new AssertionError("no " + name + "{" + label + "=\"" + value + "\"," + label2 + "=\"" + value2
                + "\"} in " + scraped.path(name));
    }

    /** {@code /health} (no login) answers with the status code, its JSON naming what is wrong. */
    private static void awaitHealth(String url, int status, String message, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> r;
        do {
            r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == status && r.body().contains(message)) {
                JsonNode json = JSON.readTree(r.body());
                assertThat(json.path("overallResult").asText()).isEqualTo(status == 200 ? "OK" : "CRITICAL");
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(url + " did not answer " + status + " with '" + message + "' within " + timeout
                + "; it answers " + r.statusCode() + ": " + r.body());
    }

    private static JsonNode sample(JsonNode scraped, String name, String label, String value) {
        for (JsonNode s : scraped.path(name)) {
            if (s.path("labels").path(label).asText().equals(value)) {
                return s;
            }
        }
        throw new AssertionError("no " + name + "{" + label + "=\"" + value + "\"} in " + scraped.path(name));
    }

    /** The example under "### `status.json`" in docs/operations.md. */
    private static JsonNode documentedExample() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "operations.md"));
        Matcher m = Pattern.compile("### `status.json`.*?```json\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(m.find()).as("a ```json block under ### `status.json` in docs/operations.md").isTrue();
        return JSON.readTree(m.group(1).replace("…", ""));
    }

    /** Field names, recursively; an array by its first element; the paths of empty arrays go to {@code empty}. */
    private static Set<String> shape(JsonNode node, Set<String> empty) {
        Set<String> paths = new TreeSet<>();
        shape(node, "", paths, empty);
        return paths;
    }

    private static void shape(JsonNode node, String at, Set<String> paths, Set<String> empty) {
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(f -> {
                paths.add(at + "." + f);
                // keyed by the meter's block ids, poll results and qualities, not by names of the contract
                if (!Set.of("blocks", "results", "qualities").contains(f)) {
                    shape(node.get(f), at + "." + f, paths, empty);
                }
            });
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                empty.add(at);
            } else {
                shape(node.get(0), at + "[]", paths, empty);
            }
        }
    }

    private static boolean all(JsonNode view, String quality) {
        for (JsonNode q : view.path("qualities")) {
            if (!q.asText().equals(quality)) {
                return false;
            }
        }
        return true;
    }

    /** The queued readings at the sink chart's last point, from its legend; max when there is no legend yet. */
    private static long lastQueued(String legend) {
        Matcher m = SINK_LEGEND.matcher(legend);
        return m.lookingAt() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }

    private JsonNode awaitView(String page, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode view;
        do {
            view = chromium.evaluate(page, VIEW);
            if (condition.test(view)) {
                return view;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the page did not show the expected state within " + timeout + "; it shows " + view);
    }
}
