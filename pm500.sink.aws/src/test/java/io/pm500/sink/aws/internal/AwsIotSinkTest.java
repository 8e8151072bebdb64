package io.pm500.sink.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.SinkException;
import io.pm500.demo.EmbeddedBroker;
import io.pm500.demo.TestCertificates;
import io.pm500.kit.tls.PemTls;
import io.pm500.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.crt.CrtResource;

/**
 * The sink against a real MQTT 5 broker (HiveMQ CE) whose TLS listener requires client certificates, as AWS IoT
 * Core does, with a CA and certificates made by the test; an independent client (Paho) receives the messages.
 */
@Tag("slow")
class AwsIotSinkTest {
    /** What DS gives the sinks in the gateway: one runtime, closed after the last test. */
    static final CrtRuntime CRT = new CrtRuntime();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-27T10:15:30Z");
    @TempDir
    static Path dir;
    private static TestCertificates pki;
    private static Path ca;
    private static Path[] gateway;
    private static EmbeddedBroker broker;
    private static Subscriber subscriber;
    private static JsonSchema schema;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(Path.of(System.getProperty("aws.crt.lib.dir")));
        pki = TestCertificates.create(dir.resolve("pki"), "PM500 test CA");
        ca = pki.caPem();
        gateway = pki.clientPem("pm500-gw1");
        broker = EmbeddedBroker.start(dir.resolve("broker"), 0, new EmbeddedBroker.Tls(pki.serverKeyStore(),
                TestCertificates.PASSWORD, pki.caTrustStore(), true));
        Path[] reader = pki.clientPem("reader");
        subscriber = new Subscriber(broker.uri(), PemTls.context("test", ca, reader[0], reader[1])
                .getSocketFactory());
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaFromDocs());
    }

    @AfterAll
    static void stop() throws Exception {
        subscriber.close();
        CRT.close();
        broker.close();
    }

    /** The schema in docs/aws-iot-payload.md: the one published is the one checked. */
    static String schemaFromDocs() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "aws-iot-payload.md"));
        Matcher m = Pattern.compile("## Schema.*?```json\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(m.find()).as("a ```json block under ## Schema in docs/aws-iot-payload.md").isTrue();
        return m.group(1);
    }

    static AwsIotSinkComponent sink(Object... more) {
        String uri = broker.uri();
        int port = Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
        Map<String, Object> p = new HashMap<>(Map.of("endpoint", "localhost", "port", port, "thingName",
                "pm500-gw1", "certFile", gateway[0].toString(), "keyFile", gateway[1].toString(), "caFile",
                ca.toString(), "timeoutSeconds", 5));
        for (int i = 0; i < more.length; i += 2) {
            p.put((String) more[i], more[i + 1]);
        }
        return new AwsIotSinkComponent(p, null, CRT);
    }

    static List<EnrichedReading> sample(long seq, String meter, Instant at) {
        List<EnrichedReading> r = new ArrayList<>();
        r.add(reading(seq, meter, "voltage.l1n", Phase.L1, "V", Value.of(230.1), Quality.GOOD, at));
        r.add(reading(seq + 1, meter, "current.l1", Phase.L1, "A", Value.of(10.5), Quality.GOOD, at));
        r.add(reading(seq + 2, meter, "power.active.total", Phase.TOTAL, "kW", Value.of(9.75), Quality.GOOD, at));
        r.add(reading(seq + 3, meter, "energy.active.import.total", Phase.TOTAL, "Wh", Value.of(123_456_789L),
                Quality.GOOD, at));
        r.add(reading(seq + 4, meter, "pf.total", Phase.TOTAL, "", Value.of(0.95), Quality.GOOD, at));
        r.add(reading(seq + 5, meter, "pf.l2", Phase.L2, "", Value.of(Double.NaN), Quality.UNCERTAIN, at));
        r.add(reading(seq + 6, meter, "current.l3", Phase.L3, "A", null, Quality.BAD, at));
        r.add(reading(seq + 7, meter, "serial", Phase.NONE, "", Value.of("PM5-\"0042\""), Quality.GOOD, at));
        return r;
    }

    static EnrichedReading reading(long seq, String meter, String metric, Phase phase, String unit, Value v,
            Quality q, Instant at) {
        return new EnrichedReading(seq, meter, "plant1", "line 4", "feeder-" + meter, metric, phase, unit, v, q, at,
                at);
    }

    /** Delivers as the pipeline does: retried until the sink returns normally. */
    static void deliver(AwsIotSinkComponent sink, List<EnrichedReading> batch) throws Exception {
        String[] last = { "" };
        Await.until("delivered: " + last[0], Duration.ofSeconds(30), () -> {
            try {
                sink.deliver(batch, false);
                return true;
            } catch (SinkException e) {
                assertThat(e.isRetriable()).as(e.getMessage()).isTrue();
                last[0] = e.getMessage();
                return false;
            }
        });
    }

    static List<JsonNode> objectsOn(String topic) throws Exception {
        return objectsOn(subscriber, schema, topic);
    }

    /** The JSON objects a subscriber received on a topic, each message checked against the schema first. */
    static List<JsonNode> objectsOn(Subscriber subscriber, JsonSchema schema, String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (Subscriber.Received m : subscriber.messages) {
            if (m.topic().equals(topic)) {
                JsonNode message = JSON.readTree(m.payload());
                Set<ValidationMessage> problems = schema.validate(message);
                assertThat(problems).as("schema violations of %s", new String(m.payload(), StandardCharsets.UTF_8))
                        .isEmpty();
                if (message.isArray()) {
                    message.forEach(out::add);
                } else {
                    out.add(message);
                }
            }
        }
        return out;
    }

    @Test
    void messagesArriveOnTheAssetsTopicAndMatchTheSchema() throws Exception {
        AwsIotSinkComponent sink = sink();
        try {
            List<EnrichedReading> batch = new ArrayList<>(sample(1, "m1", T));
            batch.addAll(sample(20, "m2", T.plusSeconds(1)));
            deliver(sink, batch);
            Await.until("two messages", Duration.ofSeconds(10), () -> objectsOn("pm500/plant1/line 4/feeder-m1/telemetry")
                    .size() == 1 && objectsOn("pm500/plant1/line 4/feeder-m2/telemetry").size() == 1);
            JsonNode m1 = objectsOn("pm500/plant1/line 4/feeder-m1/telemetry").get(0);
            assertThat(m1.get("meterId").asText()).isEqualTo("m1");
            assertThat(m1.get("timestamp").asText()).isEqualTo("2026-11-27T10:15:30.000Z");
            assertThat(m1.get("quality").asText()).isEqualTo("BAD");
            assertThat(m1.get("sequence").asLong()).isEqualTo(1);
            JsonNode metrics = m1.get("metrics");
            assertThat(metrics.get("voltageL1N").asDouble()).isEqualTo(230.1);
            assertThat(metrics.get("currentL1").asDouble()).isEqualTo(10.5);
            assertThat(metrics.get("activePowerTotalKw").asDouble()).isEqualTo(9.75);
            assertThat(metrics.get("energyImportKwh").asDouble()).isEqualTo(123456.789);
            assertThat(metrics.get("powerFactorTotal").asDouble()).isEqualTo(0.95);
            assertThat(metrics.get("serial").asText()).isEqualTo("PM5-\"0042\"");
            assertThat(metrics.has("powerFactorL2")).as("NaN is never sent").isFalse();
            assertThat(metrics.has("currentL3")).as("BAD has no value").isFalse();
            assertThat(m1.get("units").get("energyImportKwh").asText()).isEqualTo("kWh");
            assertThat(m1.get("units").has("powerFactorTotal")).isFalse();
        } finally {
            sink.deactivate();
        }
    }

    @Test
    void batchesAreArraysWithinTheSizeLimitAndCarryEverySample() throws Exception {
        AwsIotSinkComponent sink = sink("batchMessages", true, "maxMessageBytes", 2048, "topicTemplate",
                "pm500/batched/{meterId}");
        try {
            List<EnrichedReading> batch = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                batch.addAll(sample(1000 + i * 10, "b1", T.plusSeconds(i)));
            }
            deliver(sink, batch);
            Await.until("30 samples", Duration.ofSeconds(10), () -> objectsOn("pm500/batched/b1").size() == 30);
            List<Subscriber.Received> messages = subscriber.messages.stream()
                    .filter(m -> m.topic().equals("pm500/batched/b1")).toList();
            assertThat(messages).hasSizeGreaterThan(1).allSatisfy(m -> assertThat(m.payload().length)
                    .isLessThanOrEqualTo(2048));
            Set<Long> sequences = new HashSet<>();
            objectsOn("pm500/batched/b1").forEach(o -> sequences.add(o.get("sequence").asLong()));
            assertThat(sequences).hasSize(30).contains(1000L, 1290L);
        } finally {
            sink.deactivate();
        }
    }

    /**
     * Issue 18: an empty {@code metrics} object went out for every BAD or STALE poll, each a billed message with no
     * data. An object without values is sent when it changes what the cloud knows (the first after values, or another
     * quality), not once per poll.
     */
    @Test
    void aMeterWithoutValuesCostsOneMessagePerChangeNotOnePerPoll() throws Exception {
        AwsIotSinkComponent sink = sink("topicTemplate", "pm500/quiet/{meterId}", "thingName", "quiet");
        try {
            int seq = 8000;
            Quality[] polls = { Quality.BAD, Quality.BAD, Quality.BAD, Quality.STALE, Quality.STALE, Quality.GOOD,
                Quality.BAD, Quality.BAD };
            for (int i = 0; i < polls.length; i++) {
                Value v = polls[i] == Quality.BAD ? null : Value.of(230.0 + i);
                deliver(sink, List.of(reading(seq++, "q1", "voltage.l1n", Phase.L1, "V", v, polls[i],
                        T.plusSeconds(i))));
            }
            Await.until("four objects", Duration.ofSeconds(10), () -> objectsOn("pm500/quiet/q1").size() >= 4);
            Thread.sleep(500);
            assertThat(objectsOn("pm500/quiet/q1")).extracting(o -> o.get("quality").asText())
                    .containsExactly("BAD", "STALE", "GOOD", "BAD");
        } finally {
            sink.deactivate();
        }
    }

    /**
     * Issue 18: with an AWS sink configured, SIGTERM ended in "bundles did not stop within 10 s". The sink stops in
     * well under that budget in every state: connected, connecting to nothing, TLS failing, broker gone.
     */
    @Test
    void theSinkStopsWithinTwoSecondsConnectedConnectingTlsFailingOrWithTheBrokerGone() throws Exception {
        int nobody;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            nobody = closed.getLocalPort();
        }
        Path otherCa = TestCertificates.create(dir.resolve("other-stop"), "Some other CA").caPem();
        Map<String, AwsIotSinkComponent> sinks = new java.util.LinkedHashMap<>();
        AwsIotSinkComponent connected = sink("thingName", "stop-connected");
        deliver(connected, sample(7000, "s1", T));
        sinks.put("connected", connected);
        sinks.put("connecting to nothing", sink("port", nobody, "thingName", "stop-refused"));
        sinks.put("TLS failing", sink("caFile", otherCa.toString(), "thingName", "stop-tls"));
        Thread.sleep(3000); // attempts and back-off under way
        for (Map.Entry<String, AwsIotSinkComponent> e : sinks.entrySet()) {
            long start = System.nanoTime();
            e.getValue().deactivate();
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms to stop, %s", e.getKey()).isLessThan(2000);
        }
        AwsIotSinkComponent orphaned = sink("thingName", "stop-orphaned");
        deliver(orphaned, sample(7100, "s1", T));
        broker.stop();
        try {
            Thread.sleep(2000);
            long start = System.nanoTime();
            orphaned.deactivate();
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms to stop, broker gone").isLessThan(2000);
        } finally {
            int subscriptions = subscriber.subscriptions;
            broker.start();
            Await.until("the subscriber back", Duration.ofSeconds(30), () -> subscriber.subscriptions > subscriptions);
        }
    }

    /**
     * Issue 18: an expired client certificate showed only AWS_IO_TLS_ERROR_READ_FAILURE. Its dates are checked at
     * configuration (expired, not yet valid, expiring within 30 days), and the handshake failure names the file.
     */
    @Test
    void anExpiredClientCertificateIsNamedAtConfigurationAndWhenTheEndpointRefusesIt() throws Exception {
        Instant now = Instant.now();
        Path[] expired = pki.clientPem("expired", now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1)));
        assertThat(PemTls.validityProblem("aws", "certFile", expired[0], now)).hasValueSatisfying(p -> assertThat(p)
                .contains("certFile '" + expired[0] + "'", "CN=expired", "expired on", "issue a new one"));
        assertThat(PemTls.validityProblem("aws", "certFile", gateway[0], now)).as("valid for two more days")
                .hasValueSatisfying(p -> assertThat(p).contains("expires on", "in 1 days"));
        assertThat(PemTls.validityProblem("aws", "certFile", pki.clientPem("fresh", now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(365)))[0], now)).isEmpty();
        AwsIotSinkComponent sink = sink("certFile", expired[0].toString(), "keyFile", expired[1].toString(),
                "thingName", "expired");
        try {
            String[] message = { "" };
            Await.until("a connection failure reason", Duration.ofSeconds(60), () -> {
                try {
                    sink.deliver(sample(1, "x2", T), false);
                    throw new AssertionError("delivered with an expired certificate");
                } catch (SinkException e) {
                    message[0] = e.getMessage();
                    return !e.getMessage().contains("not connected yet");
                }
            });
            assertThat(message[0]).contains("certificate", expired[0].toString());
        } finally {
            sink.deactivate();
        }
    }

    @Test
    void aWrongCaOrAnUnknownClientCertificateIsAClearRetriableError() throws Exception {
        Path otherCa = TestCertificates.create(dir.resolve("other"), "Some other CA").caPem();
        AwsIotSinkComponent wrongCa = sink("caFile", otherCa.toString(), "thingName", "wrong-ca");
        Path[] stranger = TestCertificates.create(dir.resolve("stranger"), "Stranger CA").clientPem("stranger");
        AwsIotSinkComponent unknownCert = sink("certFile", stranger[0].toString(), "keyFile", stranger[1].toString(),
                "thingName", "stranger");
        try {
            for (AwsIotSinkComponent s : List.of(wrongCa, unknownCert)) {
                String[] message = { "" };
                Await.until("a connection failure reason", Duration.ofSeconds(60), () -> {
                    try {
                        s.deliver(sample(1, "x1", T), false);
                        throw new AssertionError("delivered through a TLS session that must fail");
                    } catch (SinkException e) {
                        assertThat(e.isRetriable()).isTrue();
                        message[0] = e.getMessage();
                        return !e.getMessage().contains("not connected yet");
                    }
                });
                assertThat(message[0]).contains("not connected").containsAnyOf("TLS", "SOCKET_CLOSED",
                        "CONNECTION_RESET", "CLOSED").as("issue 18: the message names the certificate")
                        .contains("certificate");
            }
        } finally {
            wrongCa.deactivate();
            unknownCert.deactivate();
        }
        assertThat(subscriber.messages).noneMatch(m -> m.topic().contains("x1"));
    }

    @Test
    void badSettingsRefuseActivationNamingTheSettingAndTheFix() {
        assertThatThrownBy(() -> sink("endpoint", "mqtts://x.iot.amazonaws.com")).hasMessageContaining(
                "aws: endpoint 'mqtts://x.iot.amazonaws.com' is not a host name");
        assertThatThrownBy(() -> sink("thingName", "my thing")).hasMessageContaining("aws: thingName 'my thing'");
        assertThatThrownBy(() -> sink("certFile", "/nonexistent/cert.pem", "keyFile", "/nonexistent/key.pem",
                "caFile", "/nonexistent/ca.pem", "service.pid", "pm500.sink.aws~cloud"))
                .as("every missing file at once, and which configuration")
                .hasMessageStartingWith("configuration pm500.sink.aws~cloud: ")
                .hasMessageContaining("aws: certFile '/nonexistent/cert.pem' is not a readable file")
                .hasMessageContaining("aws: keyFile '/nonexistent/key.pem' is not a readable file")
                .hasMessageContaining("aws: caFile '/nonexistent/ca.pem' is not a readable file");
        assertThatThrownBy(() -> sink("port", "eighty")).hasMessageContaining("port = 'eighty' is not a whole number");
        assertThatThrownBy(() -> sink("topicTemplate", "pm500/{plant}/x")).hasMessageContaining(
                "unknown placeholder {plant}");
        assertThatThrownBy(() -> sink("topicTemplate", "pm500/#")).hasMessageContaining("without '+', '#'");
        assertThatThrownBy(() -> sink("maxMessageBytes", 200_000)).hasMessageContaining("AWS IoT Core's limit");
    }

    @Test
    void closedSinksLeaveNoNativeResources() throws Exception {
        for (int i = 0; i < 5; i++) {
            AwsIotSinkComponent sink = sink("thingName", "cycle-" + i, "topicTemplate", "pm500/cycle/{meterId}");
            deliver(sink, sample(9000 + i * 10, "c1", T.plusSeconds(i)));
            sink.deactivate();
        }
        CRT.close(); // as DS does when the last sink has gone (the next client makes the runtime anew)
        Await.until("no native resources: " + resources(), Duration.ofSeconds(20), () -> resources().isEmpty());
    }

    /** Live native resources; tracked because the tests run with aws.crt.debugnative=true. */
    static List<String> resources() {
        List<String> live = new ArrayList<>();
        CrtResource.collectNativeResources(live::add);
        return live;
    }
}
