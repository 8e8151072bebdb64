package io.pm500.sink.influx.internal;

import static io.pm500.sink.influx.internal.Readings.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.SinkException;
import io.pm500.demo.Historian;
import io.pm500.demo.TestCertificates;
import io.pm500.testkit.process.HistorianSql;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The sink against a real historian (QuestDB embedded on loopback), reading the rows back over SQL. */
class InfluxSinkTest {
    @TempDir
    static Path dir;
    private static Historian historian;
    private static HistorianSql sql;

    @BeforeAll
    static void startHistorian() {
        historian = Historian.start(dir.resolve("questdb"), 0);
        sql = new HistorianSql(historian.url());
    }

    @AfterAll
    static void stopHistorian() {
        historian.close();
    }

    private static InfluxSinkComponent sink(Object... settings) {
        List<Object> all = new ArrayList<>(List.of("url", historian.url(), "bucket", "pm500", "database", "pm500"));
        all.addAll(List.of(settings));
        return new InfluxSinkComponent(Configs.properties(all.toArray()));
    }

    @ParameterizedTest
    @CsvSource({ "v2, true, ms, t_v2_gzip", "v2, false, ns, t_v2_plain", "v1, true, ns, t_v1_gzip",
            "v1, false, ms, t_v1_plain" })
    void rowsLandWithTagsFieldsAndAcquisitionTimes(String api, boolean gzip, String precision, String table)
            throws Exception {
        InfluxSinkComponent sink = sink("api", api, "gzip", gzip, "precision", precision, "measurement", table,
                "meterTag", true);
        try {
            List<EnrichedReading> batch = new ArrayList<>(Readings.sample(1, "m1", T));
            batch.addAll(Readings.sample(100, "m2", T.plusSeconds(1)));
            batch.add(new EnrichedReading(200, "m1", "plant1", "line4", "feeder-m1", "serial", Phase.NONE, "",
                    Value.of("PM5-\"0042\""), Quality.GOOD, T.plusSeconds(2), T));
            sink.deliver(batch, false);
            historian.awaitTable(table);
            List<Map<String, Object>> rows = sql.query("select * from " + table + " order by timestamp, phase");
            assertThat(rows).hasSize(11);
            Map<String, Object> l1 = rows.stream().filter(r -> "m1".equals(r.get("meter")) && "L1".equals(
                    r.get("phase"))).findFirst().orElseThrow();
            assertThat(l1).containsEntry("site", "plant1").containsEntry("area", "line4")
                    .containsEntry("asset", "feeder-m1").containsEntry("voltage", 230.1).containsEntry("current", 10.5)
                    .containsEntry("kW", 2.25).containsEntry("power_factor", 0.95).containsEntry("quality", 192L)
                    .containsEntry("seq", 1L);
            // QuestDB keeps microseconds: the nanoseconds of an ns write are cut there
            assertThat(l1.get("timestamp")).isEqualTo(precision.equals("ms") ? "2026-11-27T10:15:30.123000Z"
                    : "2026-11-27T10:15:30.123456Z");
            Map<String, Object> total = rows.stream().filter(r -> "m2".equals(r.get("meter")) && "total".equals(
                    r.get("phase"))).findFirst().orElseThrow();
            assertThat(total).containsEntry("kWh", 123456.789).containsEntry("alarms_virtual", 5.0)
                    .containsEntry("voltage_l1l2", 400.2).containsEntry("frequency", 50.01).containsEntry("seq", 113L);
            assertThat(rows.get(10)).containsEntry("serial", "PM5-\"0042\"").containsEntry("seq", 200L);
        } finally {
            sink.deactivate();
        }
    }

    @Test
    void aTypeConflictIsRefusedForGoodWithTheServersMessageAndNothingOfTheBatchIsWritten() throws Exception {
        InfluxSinkComponent sink = sink("measurement", "t_conflict");
        try {
            sink.deliver(List.of(Readings.good(1, "m1", "serial", Phase.NONE, "", Value.of(7.5), T)), false);
            List<EnrichedReading> batch = new ArrayList<>(Readings.sample(10, "m1", T.plusSeconds(1)));
            batch.add(Readings.good(30, "m1", "serial", Phase.NONE, "", Value.of("PM5-0042"), T.plusSeconds(1)));
            assertThatThrownBy(() -> sink.deliver(batch, false)).isInstanceOfSatisfying(SinkException.class,
                    e -> assertThat(e.isRetriable()).isFalse()).hasMessageContaining("influx 'influx' ("
                            + historian.url()).hasMessageContaining("refused 5 lines with HTTP 400")
                    .hasMessageContaining("column: serial; cast error from protocol type: STRING to column type:"
                            + " DOUBLE");
            historian.awaitTable("t_conflict");
            assertThat(sql.count("select count() from t_conflict")).as("the refused batch left no row").isEqualTo(1);
        } finally {
            sink.deactivate();
        }
    }

    @Test
    void anUnreachableHistorianIsRetriable() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        for (String api : List.of("v2", "v1")) {
            InfluxSinkComponent sink = new InfluxSinkComponent(Configs.properties("api", api, "url", "http://127.0.0.1:"
                    + closed, "bucket", "b", "database", "d", "timeoutSeconds", 2));
            try {
                assertThatThrownBy(() -> sink.deliver(Readings.sample(1, "m1", T), false))
                        .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.isRetriable()).isTrue())
                        .hasMessageContaining("influx 'influx' (http://127.0.0.1:" + closed)
                        .hasMessageContaining("unreachable");
            } finally {
                sink.deactivate();
            }
        }
    }

    /**
     * No database throttles on demand, so a JDK HTTP server answers what an overloaded or misconfigured InfluxDB
     * answers; both write paths must read the status, the message and Retry-After the same way.
     */
    @ParameterizedTest
    @CsvSource({ "v2", "v1" })
    void throttlingAndAuthorisationKeepReadingsQueuedAndHonourRetryAfter(String api) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int[] status = { 429 };
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("{\"code\":\"x\",\"message\":\"answer " + status[0] + "\",\"error\":\"answer " + status[0]
                    + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            if (status[0] == 429 || status[0] == 503) {
                exchange.getResponseHeaders().add("Retry-After", "7");
            }
            exchange.sendResponseHeaders(status[0], body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        InfluxSinkComponent sink = new InfluxSinkComponent(Configs.properties("api", api, "url", "http://127.0.0.1:"
                + server.getAddress().getPort(), "bucket", "b", "database", "d"));
        try {
            for (int code : new int[] { 429, 503 }) {
                status[0] = code;
                assertThatThrownBy(() -> sink.deliver(Readings.sample(1, "m1", T), false))
                        .isInstanceOfSatisfying(SinkException.class, e -> {
                            assertThat(e.isRetriable()).isTrue();
                            assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
                        }).hasMessageContaining("HTTP " + code + ": answer " + code);
            }
            status[0] = 401;
            assertThatThrownBy(() -> sink.deliver(Readings.sample(1, "m1", T), false))
                    .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.isRetriable()).isTrue())
                    .hasMessageContaining("HTTP 401").hasMessageContaining("check the token");
            status[0] = 400;
            assertThatThrownBy(() -> sink.deliver(Readings.sample(1, "m1", T), false))
                    .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.isRetriable()).isFalse())
                    .hasMessageContaining("HTTP 400: answer 400");
        } finally {
            sink.deactivate();
            server.stop(0);
        }
    }

    /**
     * What a write looks like on the wire, both APIs (the JDK's HTTP server records it; the rows landing in QuestDB
     * gzipped and plain is {@link #rowsLandWithTagsFieldsAndAcquisitionTimes}): gzipped with a length when configured,
     * at deflate's fastest level (the body is exactly as long as level 1 makes it), plain otherwise.
     */
    @ParameterizedTest
    @CsvSource({ "v2, true", "v1, true", "v2, false", "v1, false" })
    void writesAreGzippedAtTheFastestLevelWhenConfigured(String api, boolean gzip) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<Map<String, Object>> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if ("POST".equals(exchange.getRequestMethod())) {
                String encoding = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Encoding"));
                writes.add(Map.of("encoding", encoding, "length",
                        String.valueOf(exchange.getRequestHeaders().getFirst("Content-Length")), "body", body));
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        InfluxSinkComponent sink = new InfluxSinkComponent(Configs.properties("api", api, "gzip", gzip, "url",
                "http://127.0.0.1:" + server.getAddress().getPort(), "bucket", "b", "database", "d"));
        try {
            List<EnrichedReading> batch = new ArrayList<>();
            for (int m = 0; m < 50; m++) {
                batch.addAll(Readings.sample(m, "m" + m, T));
            }
            sink.deliver(batch, false);
            assertThat(writes).hasSize(1);
            Map<String, Object> write = writes.get(0);
            byte[] body = (byte[]) write.get("body");
            assertThat(write.get("length")).isEqualTo(String.valueOf(body.length));
            if (!gzip) {
                assertThat(write.get("encoding")).isEqualTo("null");
                assertThat(new String(body, StandardCharsets.UTF_8)).startsWith("powermonitor_500,");
                return;
            }
            assertThat(write.get("encoding")).isEqualTo("gzip");
            byte[] plain = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
            assertThat(new String(plain, StandardCharsets.UTF_8)).startsWith("powermonitor_500,")
                    .contains(",asset=feeder-m49,").endsWith("\n");
            Deflater fastest = new Deflater(Deflater.BEST_SPEED, true);
            fastest.setInput(plain);
            fastest.finish();
            byte[] deflated = new byte[plain.length + 64];
            int deflatedLength = fastest.deflate(deflated);
            fastest.end();
            assertThat(body.length).as("gzip header + deflate at level 1 + trailer").isEqualTo(10 + deflatedLength + 8);
        } finally {
            sink.deactivate();
            server.stop(0);
        }
    }

    /**
     * TLS against a real TLS endpoint (the JDK's HTTPS server with a certificate from a test CA; QuestDB's open-source
     * edition has no TLS): the configured CA is trusted, any other is refused before a byte of data is sent.
     */
    @ParameterizedTest
    @CsvSource({ "v2", "v1" })
    void tlsTrustsTheConfiguredCaAndRefusesAnyOther(String api) throws Exception {
        TestCertificates pki = TestCertificates.create(dir.resolve("pki-" + api), "PM500 test CA");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(pki.serverKeyStore())) {
            keys.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, TestCertificates.PASSWORD.toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                body = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
            }
            if ("POST".equals(exchange.getRequestMethod())) { // writes; the v1 path also asks GET /ping
                bodies.add(new String(body, StandardCharsets.UTF_8));
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        String url = "https://localhost:" + server.getAddress().getPort();
        Path otherCa = TestCertificates.create(dir.resolve("other-" + api), "Some other CA").caPem();
        InfluxSinkComponent trusted = new InfluxSinkComponent(Configs.properties("api", api, "url", url, "bucket", "b",
                "database", "d", "caFile", pki.caPem().toString()));
        InfluxSinkComponent untrusting = new InfluxSinkComponent(Configs.properties("api", api, "url", url, "bucket", "b",
                "database", "d", "caFile", otherCa.toString()));
        try {
            trusted.deliver(Readings.sample(1, "m1", T), false);
            assertThat(bodies).singleElement().asString().startsWith("powermonitor_500,area=line4,asset=feeder-m1,"
                    + "phase=L1,site=plant1 voltage=230.1");
            assertThatThrownBy(() -> untrusting.deliver(Readings.sample(1, "m1", T), false))
                    .isInstanceOfSatisfying(SinkException.class, e -> assertThat(e.isRetriable()).isTrue())
                    .hasMessageContaining("unreachable").hasMessageContaining("PKIX");
            assertThat(bodies).hasSize(1);
        } finally {
            trusted.deactivate();
            untrusting.deactivate();
            server.stop(0);
        }
    }

    @Test
    void retryAfterReadsSecondsAndHttpDates() {
        assertThat(HttpErrors.retryAfter("120")).isEqualTo(Duration.ofMinutes(2));
        assertThat(HttpErrors.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(HttpErrors.retryAfter("soon")).isNull();
        assertThat(HttpErrors.retryAfter(null)).isNull();
    }

    @Test
    void aBadConfigurationRefusesActivationNamingTheSettingAndTheFix() throws IOException {
        assertThatThrownBy(() -> new InfluxSinkComponent(Configs.properties("url", "localhost:8086", "bucket", "b")))
                .hasMessageContaining("influx: url 'localhost:8086' is not valid").hasMessageContaining("http://");
        assertThatThrownBy(() -> new InfluxSinkComponent(Configs.properties("url", "http://h:8086", "service.pid",
                "pm500.sink.influx~hist"))).as("which of the gateway's Influx sinks")
                .hasMessageStartingWith("configuration pm500.sink.influx~hist: influx: bucket is empty");
        assertThatThrownBy(() -> new InfluxSinkComponent(Configs.properties("api", "v1", "url", "http://h:8086")))
                .hasMessageContaining("influx: database is empty");
        assertThatThrownBy(() -> new InfluxSinkComponent(Configs.properties("api", "v3", "bucket", "b")))
                .hasMessageContaining("api 'v3' is not v2 or v1");
        assertThatThrownBy(() -> new InfluxSinkComponent(Configs.properties("bucket", "b", "tokenFile",
                "/nonexistent/t")))
                .hasMessageContaining("influx: tokenFile '/nonexistent/t' is not a readable file");
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "hello");
        assertThatThrownBy(() -> new InfluxSinkComponent(Configs.properties("url", "https://h:8086", "bucket", "b",
                "caFile", notPem.toString()))).hasMessageContaining("influx: caFile");
    }

    @Test
    void theTokenNeverShowsInWhatTheSinkPrints() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "s3cr3t-t0ken\n");
        InfluxSettings s = InfluxSinkComponent.settings(Configs.of("bucket", "b", "tokenFile", token.toString()));
        assertThat(new String(s.secret(), StandardCharsets.UTF_8)).isEqualTo("s3cr3t-t0ken");
        assertThat(s.toString()).doesNotContain("s3cr3t");
    }
}
