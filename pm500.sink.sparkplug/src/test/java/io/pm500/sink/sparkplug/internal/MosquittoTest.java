package io.pm500.sink.sparkplug.internal;

import static io.pm500.sink.sparkplug.internal.SparkplugFixture.deliver;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.good;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.metric;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pm500.api.sink.SinkException;
import io.pm500.demo.EmbeddedBroker;
import io.pm500.demo.SparkplugSubscriber;
import io.pm500.demo.SparkplugSubscriber.Received;
import io.pm500.sink.sparkplug.internal.SparkplugFixture.Recorder;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.MosquittoProcess;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The edge node against a broker we did not write, Debian's Mosquitto (started once for the class on a free loopback
 * port, stopped by PID), and failing over between Mosquitto and HiveMQ. Test names carry the Sparkplug TCK assertion
 * ids they check (table in {@code docs/sparkplug-b.md}).
 */
@Tag("slow")
class MosquittoTest {
    private static MosquittoProcess mosquitto;

    @TempDir
    Path data;

    @BeforeAll
    static void startMosquitto() throws Exception {
        mosquitto = MosquittoProcess.start();
    }

    @AfterAll
    static void stopMosquitto() throws Exception {
        mosquitto.close();
    }

    private EdgeNode node(String id, List<String> uris) {
        EdgeNode n = new EdgeNode(settings(id, uris, ""), new BdSeqStore(data.resolve("bdSeq")),
                () -> new NodeHealth(1, 1, 0, 0, 0, 0, 0), SparkplugFixture.Catalog.NONE);
        n.start();
        return n;
    }

    /**
     * Issue 21: with an empty edgeNodeId the node id comes from the assets the pipeline hands over (no other
     * bundle's configuration read): no session until the catalogue arrives, births under {@code <site>-<area>}, and
     * an asset moved to another area ends that session (NDEATH) and starts one under the new id; assets that span
     * two areas are refused with the reason, once however many changes follow (LoadRun's 500 assets logged it 500
     * times), and leave the session as it is.
     */
    @Test
    void anEmptyEdgeNodeIdIsDerivedFromTheAssetsTheCatalogueGivesAndFollowsThem() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(Sessions.class)).addAppender(log);
        try (Recorder rec = new Recorder(mosquitto.uri(), "rec-derived")) {
            Sessions sessions = new Sessions(data, () -> NodeHealth.NONE, () -> { });
            sessions.configure(null, id -> settings(id, List.of(mosquitto.uri()), ""));
            try {
                assertThatThrownBy(() -> sessions.deliver(List.of(good("feeder-1", "voltage.l1n", 230,
                        Instant.now())), false)).isInstanceOfSatisfying(SinkException.class, e -> {
                            assertThat(e.isRetriable()).isTrue();
                            assertThat(e.getMessage()).contains("waits for the assets' site and area");
                        });
                SparkplugFixture.Catalog catalog = SparkplugFixture.Catalog.NONE.withAssetsAt("plant/press",
                        "plant/press");
                sessions.catalog(catalog);
                rec.awaitOne("plant-press", "NBIRTH", 0);
                sessions.catalog(catalog);
                sessions.catalog(SparkplugFixture.Catalog.NONE.withAssetsAt("plant/press", "plant/paint"));
                sessions.catalog(SparkplugFixture.Catalog.NONE.withAssetsAt("plant/paint", "plant/press"));
                sessions.catalog(SparkplugFixture.Catalog.NONE.withAssetsAt("plant/paint", "plant/paint"));
                rec.awaitOne("plant-press", "NDEATH", 0);
                rec.awaitOne("plant-paint", "NBIRTH", 0);
                assertThat(rec.of("plant-press", "NBIRTH")).as("the same and the refused catalogue: no new session")
                        .hasSize(1);
                assertThat(log.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                        .map(ILoggingEvent::getFormattedMessage)).as("one fault, logged once").singleElement()
                        .asString().contains("span several sites or areas [plant-paint, plant-press]",
                                "the session stays under plant-press");
                assertThat(log.list).map(ILoggingEvent::getFormattedMessage).as("and when it clears")
                        .contains("Sparkplug sink 'sparkplug': the assets give one edge node id again: 'plant-paint'");
            } finally {
                sessions.stop();
                ((Logger) LoggerFactory.getLogger(Sessions.class)).detachAppender(log);
            }
        }
    }

    /**
     * A session replaced while it connects (the demo's sink configuration updated at start) logged "no connection to
     * tcp://…: RejectedExecutionException" as a WARN and closed its client without NDEATH. Stopped at every moment
     * of its connection (0–19 ms after the start), a session logs no warning, and one that came up leaves with NDEATH.
     */
    @Test
    void aSessionStoppedWhileItConnectsLeavesQuietlyWithNDeath() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger links = (Logger) LoggerFactory.getLogger(MqttLink.class);
        links.addAppender(log);
        try {
            for (int i = 0; i < 20; i++) {
                EdgeNode n = node("mosq-stopped", List.of(mosquitto.uri()));
                Thread.sleep(i);
                n.stop();
            }
        } finally {
            links.detachAppender(log);
        }
        List<String> lines = log.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
        assertThat(lines).as("what the stopped sessions logged").noneMatch(l -> l.startsWith("WARN")
                || l.startsWith("ERROR"));
        long connected = lines.stream().filter(l -> l.contains(": connected to ")).count();
        assertThat(connected).as("sessions that came up before their stop").isPositive();
        assertThat(lines.stream().filter(l -> l.contains("NDEATH sent and disconnected")).count())
                .as("each of them left with NDEATH").isEqualTo(connected);
    }

    /**
     * tck-id-principles-persistence-clean-session-50,
     * tck-id-message-flow-edge-node-birth-publish-connect, -will-message(-topic, -payload, -qos),
     * tck-id-payloads-nbirth-bdseq, -seq, -qos, -retain, tck-id-payloads-dbirth-seq-inc, -qos, -retain,
     * tck-id-payloads-ddata-qos, -retain, tck-id-payloads-ndeath-bdseq, -will-message-qos, -will-message-retain,
     * tck-id-operational-behavior-data-commands-rebirth-action-1..3, tck-id-operational-behavior-edge-node-
     * intentional-disconnect-ndeath and -packet: through Mosquitto, births then data; a rebirth by name without
     * datatype; a stop sends NDEATH and a DISCONNECT that makes Mosquitto publish the will too.
     */
    @Test
    void sessionRebirthAndIntentionalDisconnectThroughMosquitto() throws Exception {
        String id = "mosq-session";
        try (Recorder rec = new Recorder(mosquitto.uri(), "rec-" + id)) {
            EdgeNode n = node(id, List.of(mosquitto.uri()));
            try {
                Received nbirth = rec.awaitOne(id, "NBIRTH", 0);
                assertThat(nbirth.payload().getSeq()).isZero();
                // tck-id-principles-persistence-clean-session-50, as Mosquitto logged the CONNECT: MQTT 5, clean
                // start, keep alive 30 s
                assertThat(mosquitto.output()).contains(" as pm500-" + id + " (p5, c1, k30");
                long bdSeq = (Long) metric(nbirth, "bdSeq").getValue();
                Instant t = Instant.parse("2026-11-27T10:00:00Z");
                deliver(n, List.of(good("feeder-1", "voltage.l1n", 230, t)), false);
                deliver(n, List.of(good("feeder-1", "voltage.l1n", 231, t.plusSeconds(1))), false);
                assertThat(rec.awaitOne(id, "DBIRTH", 0).payload().getSeq()).isEqualTo(1);
                assertThat(rec.awaitOne(id, "DDATA", 0).payload().getMetrics().get(0).getValue()).isEqualTo(231.0);

                SparkplugFixture.command(rec, "spBv1.0/pm500/NCMD/" + id, "Node Control/Rebirth", true, null, true);
                Received again = rec.awaitOne(id, "NBIRTH", 1);
                assertThat(metric(again, "bdSeq").getValue()).isEqualTo(bdSeq);
                assertThat(again.payload().getSeq()).isZero();
                assertThat(rec.awaitOne(id, "DBIRTH", 1).payload().getSeq()).isEqualTo(1);
            } finally {
                n.stop();
            }
            Received published = rec.awaitOne(id, "NDEATH", 0);
            Received will = rec.awaitOne(id, "NDEATH", 1);
            // tck-id-payloads-nbirth-qos/-retain, -dbirth-qos/-retain, -ddata-qos/-retain, -ndeath-will-message-qos
            // and -retain: as Mosquitto delivered them to a QoS 1 subscription
            for (Received r : rec.where(r -> id.equals(r.node()) && r.payload() != null)) {
                assertThat(r.retained()).as("retain of %s", r.type()).isFalse();
                if (!r.type().endsWith("CMD")) {
                    assertThat(r.qos()).as("QoS of %s", r.type()).isEqualTo(r.type().equals("NDEATH") ? 1 : 0);
                }
            }
            assertThat(List.of(published, will)).allSatisfy(d -> {
                assertThat(d.payload().getSeq()).as("NDEATH carries no seq").isNull();
                assertThat(metric(d, "bdSeq").getValue()).isEqualTo(metric(rec.of(id, "NBIRTH").get(0), "bdSeq")
                        .getValue());
            });
        }
    }

    /**
     * Issue 23: Paho, finding its TCP transport through this bundle's {@code META-INF/services}, writes a gathered
     * batch to Mosquitto in one socket write once released — nothing before — and Mosquitto delivers every message,
     * in order; outside a batch each packet is written as Paho flushes it.
     */
    @Test
    void aGatheredBatchReachesMosquittoInOneSocketWriteEveryMessageInOrder() throws Exception {
        CountingSockets sockets = new CountingSockets();
        GatheringModules.Options options = new GatheringModules.Options();
        options.setSocketFactory(sockets);
        List<String> arrived = new java.util.concurrent.CopyOnWriteArrayList<>();
        MqttAsyncClient publisher = new MqttAsyncClient(mosquitto.uri(), "gather-pub", new MemoryPersistence());
        // STATE topics: the subscriber hands their payloads over as text
        try (SparkplugSubscriber subscriber = new SparkplugSubscriber(mosquitto.uri(), "gather-sub",
                r -> arrived.add(r.topic() + "=" + r.text()))) {
            publisher.connect(options).waitForCompletion(5000);
            GatheringOutput out = options.output();
            assertThat(out).as("Paho's module came from GatheringModules").isNotNull();

            int before = sockets.writes.get();
            out.gather();
            IMqttToken last = null;
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String topic = "spBv1.0/STATE/gather-" + (i % 7);
                String payload = "m" + i + "-".repeat(i * 20); // 50 packets, 0-1 KB each
                last = publisher.publish(topic, payload.getBytes(StandardCharsets.US_ASCII), 0, false);
                sent.add(topic + "=" + payload);
            }
            last.waitForCompletion(5000);
            assertThat(sockets.writes.get()).as("written before the release").isEqualTo(before);
            out.release();
            assertThat(sockets.writes.get() - before).isEqualTo(1);
            Await.until("the batch at the subscriber", Duration.ofSeconds(10), () -> arrived.size() >= sent.size());
            assertThat(arrived).containsExactlyElementsOf(sent);

            before = sockets.writes.get();
            for (int i = 0; i < 5; i++) {
                last = publisher.publish("spBv1.0/STATE/single", new byte[] {(byte) ('a' + i)}, 0, false);
            }
            last.waitForCompletion(5000);
            assertThat(sockets.writes.get() - before).as("outside a batch: a write per packet").isEqualTo(5);
            Await.until("the single messages", Duration.ofSeconds(10), () -> arrived.size() >= sent.size() + 5);
        } finally {
            publisher.disconnect().waitForCompletion(5000);
            publisher.close();
        }
    }

    /**
     * A fail-over list mixing plain and TLS brokers: each connection takes its sockets from its own URI's scheme.
     * With the TLS socket factory set for every URI once any was ssl://, Paho refused the tcp:// broker (socket
     * factory mismatch) and the node never came online.
     */
    @Test
    void aListMixingTcpAndSslBrokersComesOnlineAtItsTcpBroker() throws Exception {
        String id = "mosq-mixed";
        try (Recorder rec = new Recorder(mosquitto.uri(), "rec-" + id)) {
            EdgeNode n = node(id, List.of(mosquitto.uri(), "ssl://127.0.0.1:1"));
            try {
                assertThat(rec.awaitOne(id, "NBIRTH", 0).payload().getSeq()).isZero();
            } finally {
                n.stop();
            }
        }
    }

    /**
     * A connection whose options cannot be made (the CA file gone after the configuration was accepted) is a failed
     * attempt like any other: logged, and tried again after the backoff, not dropped in silence.
     */
    @Test
    void anAttemptWhoseTlsFilesAreGoneIsLoggedAndTriedAgain() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger links = (Logger) LoggerFactory.getLogger(MqttLink.class);
        links.addAppender(log);
        String id = "mosq-ca-gone";
        EdgeNode n = new EdgeNode(new SparkplugSettings("sparkplug", "pm500", id, List.of("ssl://127.0.0.1:1"),
                "pm500-" + id, "", null, data.resolve("gone-ca.pem"), null, null, "", 30, 5, 60_000, 0, false),
                new BdSeqStore(data.resolve("bdSeq")), () -> NodeHealth.NONE, SparkplugFixture.Catalog.NONE);
        try {
            n.start();
            Await.until("two failed attempts logged", Duration.ofSeconds(10), () -> log.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN
                            && e.getFormattedMessage().contains("no connection to ssl://127.0.0.1:1"))
                    .count() >= 2);
        } finally {
            n.stop();
            links.detachAppender(log);
        }
    }

    /** Plain sockets whose writes are counted: each is one socket write. */
    private static final class CountingSockets extends SocketFactory {
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public Socket createSocket() {
            return new Socket() {
                @Override
                public OutputStream getOutputStream() throws IOException {
                    OutputStream out = super.getOutputStream();
                    return new FilterOutputStream(out) {
                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            writes.incrementAndGet();
                            out.write(b, off, len);
                        }
                    };
                }
            };
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return connected(new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return connected(new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return connected(new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return connected(new InetSocketAddress(address, port));
        }

        private Socket connected(InetSocketAddress to) throws IOException {
            Socket s = createSocket();
            s.connect(to);
            return s;
        }
    }

    /**
     * tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk (the node's side: it walks
     * the configured servers) and tck-id-payloads-nbirth-bdseq-repeat: Mosquitto killed, the node goes on at HiveMQ
     * with the next bdSeq; Next Server brings it back to Mosquitto, after NDEATH at HiveMQ.
     */
    @Test
    void failsOverFromMosquittoToHiveMqAndBackOnNextServer(@TempDir Path brokerDir) throws Exception {
        String id = "mosq-failover";
        try (MosquittoProcess first = MosquittoProcess.start();
                EmbeddedBroker hivemq = EmbeddedBroker.start(brokerDir, 0);
                Recorder atHiveMq = new Recorder(hivemq.uri(), "rec-hivemq-" + id)) {
            Received firstBirth;
            try (Recorder atMosquitto = new Recorder(first.uri(), "rec-mosq-" + id)) {
                EdgeNode n = node(id, List.of(first.uri(), hivemq.uri()));
                try {
                    firstBirth = atMosquitto.awaitOne(id, "NBIRTH", 0);
                    first.kill();
                    Received atSecond = atHiveMq.awaitOne(id, "NBIRTH", 0);
                    assertThat(metric(atSecond, "bdSeq").getValue()).as("a new CONNECT, the next bdSeq")
                            .isEqualTo((Long) metric(firstBirth, "bdSeq").getValue() + 1);
                    deliver(n, List.of(good("feeder-2", "voltage.l1n", 229, Instant.now())), false);
                    atHiveMq.awaitOne(id, "DBIRTH", 0);

                    first.run(); // back on the same port
                    try (Recorder back = new Recorder(first.uri(), "rec-mosq-back-" + id)) {
                        SparkplugFixture.command(atHiveMq, "spBv1.0/pm500/NCMD/" + id, "Node Control/Next Server",
                                true, null, false);
                        Received left = atHiveMq.awaitOne(id, "NDEATH", 0);
                        assertThat(metric(left, "bdSeq").getValue()).isEqualTo(metric(atSecond, "bdSeq").getValue());
                        Received home = back.awaitOne(id, "NBIRTH", 0);
                        assertThat(metric(home, "bdSeq").getValue())
                                .isEqualTo((Long) metric(atSecond, "bdSeq").getValue() + 1);
                        SparkplugFixture.await("the device born again at Mosquitto", Duration.ofSeconds(30),
                                () -> !back.of(id, "DBIRTH").isEmpty());
                    }
                } finally {
                    n.stop();
                }
            }
        }
    }
}
