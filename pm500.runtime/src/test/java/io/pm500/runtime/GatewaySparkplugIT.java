package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.demo.Demo;
import io.pm500.demo.SparkplugSubscriber.Received;
import io.pm500.demo.SparkplugSubscriber;
import io.pm500.testkit.process.DemoProcess;
import io.pm500.testkit.process.MosquittoProcess;
import io.pm500.testkit.process.OpenerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.eclipse.tahu.message.model.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo end to end, as {@code ./pm500 demo} runs it: the exported gateway jar with the demo's configuration
 * (simulated meters read over EtherNet/IP, Sparkplug sink) publishing to a real MQTT 5 broker in its own JVM; a
 * subscriber decodes with Eclipse Tahu. Then a graceful stop sends NDEATH.
 */
class GatewaySparkplugIT {
    private static final Pattern STARTED = Pattern.compile("(PM500 gateway \\S+ started)");
    private static final Pattern WAITING_FOR_HOST = Pattern.compile("(waiting for primary host 'scada' STATE online)");

    @TempDir
    Path dir;

    @Test
    void theDemoPublishesBirthsAndDataThenDiesProperly() throws Exception {
        List<Received> got = new CopyOnWriteArrayList<>();
        try (DemoProcess broker = DemoProcess.broker(Path.of("..", "pm500.demo", "target"), dir.resolve("broker"));
                SparkplugSubscriber sub = new SparkplugSubscriber(broker.address(), "it-subscriber", got::add);
                GatewayProcess gateway = GatewayProcess.demo(dir.resolve("home"))) {
            int simPort = freePortRange(6);
            Demo.writeConfiguration(gateway.home(), GatewayProcess.JAR.resolveSibling("conf/logback.xml"), 3,
                    simPort, broker.port(), null);
            gateway.launch(GatewayProcess.freePort());
            gateway.await(STARTED, Duration.ofSeconds(60));
            long started = System.nanoTime();
            // as ./pm500 demo does: the drivers once the simulated meters listen
            assertThat(Demo.awaitSimulator(gateway.process(), simPort, 3, Duration.ofSeconds(60)))
                    .as("simulated meters listening").isTrue();
            Demo.writeDrivers(gateway.home(), 3, simPort);
            awaitMessages(got, r -> "DDATA".equals(r.type()), 3, Duration.ofSeconds(30));
            System.out.printf("gateway + Sparkplug: first data %d ms after the gateway reported started%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

            Received nbirth = first(got, "NBIRTH");
            assertThat(nbirth.topic()).isEqualTo("spBv1.0/pm500/NBIRTH/demo-line1");
            assertThat(nbirth.payload().getSeq()).isZero();
            List<Received> dbirths = awaitMessages(got, r -> "DBIRTH".equals(r.type()), 3, Duration.ofSeconds(30));
            assertThat(dbirths.stream().map(Received::device).distinct())
                    .containsExactlyInAnyOrder("feeder-1", "feeder-2", "feeder-3");
            Received feeder1 = dbirths.stream().filter(r -> "feeder-1".equals(r.device())).findFirst().orElseThrow();
            Metric v = feeder1.payload().getMetrics().stream().filter(m -> "Voltage/L1-N".equals(m.getName()))
                    .findFirst().orElseThrow();
            assertThat(v.getProperties().getPropertyValue("engUnit").getValue()).isEqualTo("V");
            // a voltage in the simulated meter's range
            List<Received> voltages = awaitMessages(got, r -> "feeder-1".equals(r.device()) && r.payload() != null
                    && r.payload().getMetrics().stream().anyMatch(m -> v.getAlias().equals(m.getAlias())
                            && m.getValue() instanceof Double d && d > 200 && d < 260), 1, Duration.ofSeconds(30));
            assertThat(voltages).isNotEmpty();

            // the catalogue declares each meter's metrics in its first DBIRTH; the EtherNet/IP identity points, not
            // in it, may add one more when they arrive after the first data
            for (String feeder : List.of("feeder-1", "feeder-2", "feeder-3")) {
                List<Received> births = got.stream().filter(r -> "DBIRTH".equals(r.type())
                        && feeder.equals(r.device())).toList();
                assertThat(births).as("DBIRTHs of %s", feeder).hasSizeBetween(1, 2);
                Received last = births.get(births.size() - 1);
                java.util.Set<Long> declared = new java.util.HashSet<>();
                last.payload().getMetrics().forEach(m -> declared.add(m.getAlias()));
                got.stream().filter(r -> "DDATA".equals(r.type()) && feeder.equals(r.device())
                        && got.indexOf(r) > got.indexOf(last)).forEach(r -> r.payload().getMetrics()
                                .forEach(m -> assertThat(declared).as("alias in %s's birth", feeder)
                                        .contains(m.getAlias())));
            }

            gateway.process().destroy(); // SIGTERM: the gateway stops its bundles, the sink sends NDEATH
            assertThat(gateway.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            List<Received> deaths = awaitMessages(got, r -> "NDEATH".equals(r.type()), 1, Duration.ofSeconds(10));
            assertThat(deaths.get(0).payload().getMetrics().get(0).getValue())
                    .isEqualTo(nbirth.payload().getMetrics().get(0).getValue());
            List<Received> session = got.stream().filter(r -> "demo-line1".equals(r.node())
                    && !"NDEATH".equals(r.type())).toList();
            for (int i = 0; i < session.size(); i++) {
                assertThat(session.get(i).payload().getSeq()).as("seq of %s", session.get(i).topic())
                        .isEqualTo(i % 256L);
            }
        }
    }

    /**
     * With a primary host configured (the test plays it): births wait for its STATE online; when it goes offline the
     * node sends NDEATH and the readings taken meanwhile stay in the outbox; when it is back they arrive flagged
     * {@code is_historical}, none lost. The test kit's feeder plays the driver and logs each acknowledged value.
     */
    @Test
    void readingsTakenWhileThePrimaryHostIsOfflineArriveAsHistoricalData() throws Exception {
        List<Received> got = new CopyOnWriteArrayList<>();
        try (DemoProcess broker = DemoProcess.broker(Path.of("..", "pm500.demo", "target"), dir.resolve("broker"));
                SparkplugSubscriber host = new SparkplugSubscriber(broker.address(), "it-scada", got::add);
                GatewayProcess gateway = GatewayProcess.demo(dir.resolve("home"))) {
            gateway.deployTestkit();
            Path conf = gateway.home().resolve("conf");
            Path acks = gateway.home().resolve("acks.txt");
            Files.writeString(conf.resolve("pm500.route-sparkplug.cfg"), "sinkName=sparkplug\n");
            Files.writeString(conf.resolve("pm500.sink.sparkplug-it.cfg"), String.join("\n", "sink.name=sparkplug",
                    "edgeNodeId=it-node", "brokerUris=" + broker.address(), "primaryHostId=scada",
                    "connectTimeoutSeconds=5", ""));
            Files.writeString(conf.resolve("pm500.testkit.feeder-ph.cfg"),
                    "meterId=ph-meter\nperiodMillis=20\nackFile=" + acks + "\n");
            gateway.launch(GatewayProcess.freePort());
            gateway.await(STARTED, Duration.ofSeconds(60));
            gateway.await(WAITING_FOR_HOST, Duration.ofSeconds(30)); // connected and subscribed, births held
            assertThat(got).as("nothing before the primary host is online").noneMatch(r -> "it-node".equals(r.node()));

            long ts = System.currentTimeMillis();
            state(host, true, ts);
            Received nbirth = awaitMessages(got, r -> "NBIRTH".equals(r.type()), 1, Duration.ofSeconds(30)).get(0);
            awaitMessages(got, r -> "DDATA".equals(r.type()), 20, Duration.ofSeconds(30));

            state(host, false, ts + 1);
            Received ndeath = awaitMessages(got, r -> "NDEATH".equals(r.type()), 1, Duration.ofSeconds(30)).get(0);
            assertThat(bdSeq(ndeath)).isEqualTo(bdSeq(nbirth));
            Thread.sleep(3000); // the feeder goes on: these readings wait in the outbox
            long backOnline = System.currentTimeMillis();
            state(host, true, ts + 2);
            Received again = awaitMessages(got, r -> "NBIRTH".equals(r.type()), 2, Duration.ofSeconds(30)).get(1);
            assertThat(bdSeq(again)).isEqualTo(bdSeq(nbirth) + 1);
            // the broker keeps order per topic only: data published just before the NDEATH may arrive after it
            List<Received> all = List.copyOf(got);
            List<Received> between = all.subList(all.indexOf(ndeath), all.indexOf(again));
            assertThat(between).as("nothing built while the primary host was offline")
                    .noneMatch(r -> "it-node".equals(r.node()) && !"NDEATH".equals(r.type())
                            && r.payload().getTimestamp().after(ndeath.payload().getTimestamp()));

            Set<Long> acknowledged = acknowledged(acks);
            Map<Long, Metric> received;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Set<Long> missing;
            do {
                Thread.sleep(200);
                received = counters(host, got);
                missing = new HashSet<>(acknowledged);
                missing.removeAll(received.keySet());
            } while (!missing.isEmpty() && System.nanoTime() < deadline);
            assertThat(missing).as("acknowledged values not received (of %d)", acknowledged.size()).isEmpty();

            List<Metric> offline = received.values().stream().filter(m -> m.getTimestamp().getTime()
                    > ndeath.payload().getTimestamp().getTime() && m.getTimestamp().getTime() < backOnline).toList();
            assertThat(offline).as("readings taken while the primary host was offline").hasSizeGreaterThan(50)
                    .allSatisfy(m -> assertThat(m.isHistorical()).as("is_historical of %s", m).isTrue());
            System.out.printf("primary host offline ~3 s: %d readings held and sent as historical; %d acknowledged,"
                    + " all received%n", offline.size(), acknowledged.size());
            assertThat(received.values()).as("live readings after the return").anySatisfy(m -> {
                assertThat(m.getTimestamp().getTime()).isGreaterThan(backOnline);
                assertThat(m.isHistorical()).isFalse();
            });
        }
    }

    /**
     * An EtherNet/IP meter on an adapter we did not write (OpENer), through the real pipeline to Sparkplug: after the
     * sink is reconfigured its DBIRTH still carries the identity read once per connection, with values and
     * acquisition times (issue 17, fault 4); killed, the meter goes LOST and its device gets DDEATH, with no DBIRTH
     * while it stays lost (faults 2 and 3); back, it is born again with a fresh identity.
     */
    @Test
    void aLostEtherNetIpMeterDiesAndIsBornAgainAndItsBirthsKeepItsIdentityAcrossASinkReconfiguration()
            throws Exception {
        List<Received> got = new CopyOnWriteArrayList<>();
        try (OpenerProcess opener = OpenerProcess.start();
                DemoProcess broker = DemoProcess.broker(Path.of("..", "pm500.demo", "target"), dir.resolve("broker"));
                SparkplugSubscriber host = new SparkplugSubscriber(broker.address(), "it-opener-host", got::add);
                GatewayProcess gateway = GatewayProcess.demo(dir.resolve("home"))) {
            Path conf = gateway.home().resolve("conf");
            Path sinkCfg = conf.resolve("pm500.sink.sparkplug-it.cfg");
            Files.writeString(sinkCfg, String.join("\n", "sink.name=sparkplug", "edgeNodeId=it-opener",
                    "brokerUris=" + broker.address(), "connectTimeoutSeconds=5", ""));
            Path profile = OpenerProcess.profile();
            Files.writeString(conf.resolve("pm500.asset-opener.cfg"), String.join("\n", "meterId=opener-1",
                    "asset=feeder-op", "site=it", "area=opener", ""));
            Files.writeString(conf.resolve("pm500.driver.cip-opener.cfg"), String.join("\n", "meterId=opener-1",
                    "host=127.0.0.1", "port=" + OpenerProcess.PORT, "profile=" + profile,
                    "blockIntervals=assembly.100=500", ""));
            gateway.launch(GatewayProcess.freePort());
            gateway.await(STARTED, Duration.ofSeconds(60));
            Predicate<Received> birth = r -> "DBIRTH".equals(r.type()) && "feeder-op".equals(r.device());
            Received first = awaitMessages(got, birth.and(GatewaySparkplugIT::hasIdentity), 1,
                    Duration.ofSeconds(60)).get(0);
            assertThat(metric(first, "Identity/Product/Name").getValue()).isEqualTo("OpENer PC");

            // a sink reconfiguration: a new session whose first DBIRTH is as complete as the last one
            int nbirths = (int) got.stream().filter(r -> "NBIRTH".equals(r.type())).count();
            Files.writeString(sinkCfg, Files.readString(sinkCfg) + "keepAliveSeconds=20\n");
            Received nbirth = awaitMessages(got, r -> "NBIRTH".equals(r.type()), nbirths + 1,
                    Duration.ofSeconds(30)).get(nbirths);
            Received reborn = awaitMessages(got, birth.and(r -> got.indexOf(r) > got.indexOf(nbirth)), 1,
                    Duration.ofSeconds(30)).get(0);
            assertThat(reborn.payload().getMetrics()).as("metrics of the DBIRTH after the reconfiguration")
                    .extracting(Metric::getName)
                    .containsExactlyInAnyOrderElementsOf(first.payload().getMetrics().stream()
                            .map(Metric::getName).toList());
            for (String name : List.of("Identity/Vendor", "Identity/Serial", "Identity/Product/Name")) {
                Metric m = metric(reborn, name);
                assertThat(m.getIsNull()).as("%s is_null", name).isFalse();
                assertThat(m.getValue()).as(name).isEqualTo(metric(first, name).getValue());
                assertThat(m.getTimestamp()).as("%s acquired", name).isEqualTo(metric(first, name).getTimestamp());
                assertThat(m.getProperties().getPropertyValue("Quality").getValue()).as(name).isEqualTo(192);
            }

            opener.kill();
            long killed = System.nanoTime();
            Received death;
            try {
                death = awaitMessages(got, r -> "DDEATH".equals(r.type()) && "feeder-op".equals(r.device()), 1,
                        Duration.ofSeconds(30)).get(0);
            } catch (AssertionError e) {
                List<String> out = gateway.output();
                throw new AssertionError("no DDEATH; the gateway's log ends:\n"
                        + String.join("\n", out.subList(Math.max(0, out.size() - 40), out.size()))
                        + "\nlast DDATA: " + got.stream().filter(r -> "DDATA".equals(r.type())).reduce((a, b) -> b)
                                .map(r -> r.payload().getMetrics().stream().map(m -> host.nameOf("pm500/it-opener",
                                        m.getAlias()) + "=" + m.getValue() + " " + m.getProperties()).toList())
                                .orElse(List.of()), e);
            }
            System.out.printf("OpENer killed: DDEATH after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            Thread.sleep(5000); // lost: the driver retries with back-off, failed reads go on
            assertThat(got.subList(got.indexOf(death) + 1, got.size())).as("messages of the lost device")
                    .noneMatch(r -> "feeder-op".equals(r.device()));

            opener.run();
            Received back = awaitMessages(got, birth.and(r -> got.indexOf(r) > got.indexOf(death)), 1,
                    Duration.ofSeconds(60)).get(0);
            assertThat(metric(back, "Identity/Vendor").getProperties().getPropertyValue("Quality").getValue())
                    .isEqualTo(192);
            assertThat(metric(back, "Identity/Vendor").getTimestamp()).isAfter(metric(first, "Identity/Vendor")
                    .getTimestamp());
        }
    }

    /**
     * tck-id-payloads-ndeath-will-message-publisher and tck-id-payloads-ndeath-bdseq, at a broker we did not write:
     * the gateway process killed with SIGKILL sends nothing, and Mosquitto publishes its will, the NDEATH with the
     * bdSeq of the session's NBIRTH.
     */
    @Test
    void aGatewayKilledWithSigkillLeavesItsWillNdeathAtMosquitto() throws Exception {
        List<Received> got = new CopyOnWriteArrayList<>();
        try (MosquittoProcess mosquitto = MosquittoProcess.start();
                SparkplugSubscriber host = new SparkplugSubscriber(mosquitto.uri(), "it-mosquitto-host", got::add);
                GatewayProcess gateway = GatewayProcess.demo(dir.resolve("home"))) {
            gateway.deployTestkit();
            Path conf = gateway.home().resolve("conf");
            Files.writeString(conf.resolve("pm500.sink.sparkplug-it.cfg"), String.join("\n", "sink.name=sparkplug",
                    "edgeNodeId=it-killed", "brokerUris=" + mosquitto.uri(), "connectTimeoutSeconds=5", ""));
            Files.writeString(conf.resolve("pm500.testkit.feeder-kill.cfg"), "meterId=kill-meter\nperiodMillis=100\n"
                    + "ackFile=" + gateway.home().resolve("acks.txt") + "\n");
            gateway.launch(GatewayProcess.freePort());
            gateway.await(STARTED, Duration.ofSeconds(60));
            Received nbirth = awaitMessages(got, r -> "NBIRTH".equals(r.type()), 1, Duration.ofSeconds(30)).get(0);
            awaitMessages(got, r -> "DDATA".equals(r.type()), 5, Duration.ofSeconds(30));

            gateway.kill();
            Received will = awaitMessages(got, r -> "NDEATH".equals(r.type()), 1, Duration.ofSeconds(10)).get(0);
            assertThat(bdSeq(will)).isEqualTo(bdSeq(nbirth));
            assertThat(will.payload().getSeq()).as("NDEATH carries no seq").isNull();
        }
    }

    private static boolean hasIdentity(Received r) {
        return r.payload().getMetrics().stream().anyMatch(m -> "Identity/Vendor".equals(m.getName())
                && !m.getIsNull());
    }

    private static Metric metric(Received r, String name) {
        return r.payload().getMetrics().stream().filter(m -> name.equals(m.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(r.topic() + " has no metric " + name));
    }

    private static void state(SparkplugSubscriber host, boolean online, long timestamp) throws Exception {
        host.publish("spBv1.0/STATE/scada", ("{\"online\":" + online + ",\"timestamp\":" + timestamp + "}")
                .getBytes(StandardCharsets.UTF_8), 1, true).waitForCompletion(5000);
    }

    private static long bdSeq(Received r) {
        return (Long) r.payload().getMetrics().stream().filter(m -> "bdSeq".equals(m.getName())).findFirst()
                .orElseThrow().getValue();
    }

    /** The feeder's counter values as received in births and data, resolving aliases as a host does. */
    private static Map<Long, Metric> counters(SparkplugSubscriber host, List<Received> got) {
        Map<Long, Metric> values = new HashMap<>();
        for (Received r : got) {
            if ("ph-meter".equals(r.device()) && r.payload() != null) {
                for (Metric m : r.payload().getMetrics()) {
                    String name = m.hasName() ? m.getName() : host.nameOf(r.group() + "/" + r.node(), m.getAlias());
                    if ("Counter".equals(name) && m.getValue() instanceof Long v) {
                        values.putIfAbsent(v, m);
                    }
                }
            }
        }
        return values;
    }

    /** The values the feeder logged once the pipeline acknowledged them (complete lines only). */
    private static Set<Long> acknowledged(Path acks) throws IOException {
        String text = Files.readString(acks);
        Set<Long> values = new HashSet<>();
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
            if (!line.isEmpty()) {
                values.add(Long.parseLong(line));
            }
        }
        return values;
    }

    private static Received first(List<Received> got, String type) {
        return got.stream().filter(r -> type.equals(r.type())).findFirst().orElseThrow();
    }

    private static List<Received> awaitMessages(List<Received> got, Predicate<Received> which, int count,
            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Received> matching;
        do {
            matching = new ArrayList<>(got.stream().filter(which).toList());
            if (matching.size() >= count) {
                return matching;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("only " + matching.size() + " of " + count + " messages within " + timeout
                + "; received: " + got.stream().map(Received::topic).toList());
    }

    /** A base port P with P..P+n-1 free on loopback: the simulator's meters listen on consecutive ports. */
    private static int freePortRange(int n) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(30_000, 60_000);
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    held.add(new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress()));
                }
                return base;
            } catch (IOException busy) {
                // try another base
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no " + n + " consecutive free ports on 127.0.0.1");
    }
}
