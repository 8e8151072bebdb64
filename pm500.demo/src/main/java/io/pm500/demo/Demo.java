package io.pm500.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./pm500 demo}: an MQTT 5 broker and a historian (QuestDB, InfluxDB line protocol) on 127.0.0.1, then the
 * gateway in a demo home whose configuration runs simulated meters read over EtherNet/IP, published as Sparkplug B
 * and written to the historian. Ctrl-C stops the gateway (which sends its NDEATH), then the broker and historian.
 */
public final class Demo {
    static final int SIM_BASE_PORT = 15020;

    private Demo() {
    }

    static int run(Options o) throws IOException, InterruptedException {
        int meters = o.number("meters", 3, 1, 1000);
        int port = o.number("port", 1883, 1, 65535);
        int simPort = o.number("sim-port", SIM_BASE_PORT, 1024, 65535 - 2 * meters);
        int historianPort = o.number("historian-port", 9000, 1, 65535);
        int consolePort = o.number("console-port", 8080, 1, 65535);
        String messaging = o.get("messaging", "connected");
        if (!List.of("connected", "unconnected", "io-input-only", "io-listen-only").contains(messaging)) {
            System.err.println("pm500 demo: --messaging is connected, unconnected, io-input-only or io-listen-only");
            return 1;
        }
        Path home = Path.of(o.get("home", "pm500.demo/target/demo-home")).toAbsolutePath();
        Path gatewayJar = Path.of(o.get("gateway", "pm500.runtime/target/gateway/pm500-demo.jar")).toAbsolutePath();
        if (!Files.isRegularFile(gatewayJar)) {
            System.err.println("pm500 demo: no gateway at " + gatewayJar + "; build it with ./mvnw -B -q install"
                    + " -DskipTests");
            return 1;
        }
        Historian historian;
        try {
            historian = Historian.start(home.resolve("historian"), historianPort);
        } catch (RuntimeException e) {
            System.err.println("pm500 demo: cannot start the historian on 127.0.0.1:" + historianPort + " ("
                    + e.getMessage() + "). Stop whatever uses the port, or choose another with --historian-port.");
            return 1;
        }
        writeConfiguration(home, gatewayJar.getParent().resolve("conf/logback.xml"), meters, simPort, port,
                historian.url());

        EmbeddedBroker broker;
        try {
            broker = EmbeddedBroker.start(home.resolve("broker"), port);
        } catch (IllegalStateException e) {
            System.err.println("pm500 demo: cannot start the MQTT broker on 127.0.0.1:" + port + " (" + e.getMessage()
                    + "). Stop whatever uses the port, or choose another with --port.");
            historian.stop();
            return 1;
        }
        System.out.println("MQTT 5 broker on tcp://127.0.0.1:" + port + "; starting the gateway in " + home);
        System.out.println("Watch the Sparkplug messages in another terminal: ./pm500 watch"
                + (port == 1883 ? "" : " --uri tcp://127.0.0.1:" + port));
        System.out.println("Historian (QuestDB) on " + historian.url() + ": open it in a browser and run"
                + " 'select * from powermonitor_500 order by timestamp desc limit 20'");
        Process gateway = new ProcessBuilder(javaBin(), "-Dorg.osgi.service.http.port=" + consolePort, "-jar",
                gatewayJar.toString()).directory(home.toFile()).inheritIO().start();
        Thread stopper = new Thread(() -> {
            // Ctrl-C reaches the gateway too; give it time to send NDEATH before the broker goes
            gateway.destroy();
            try {
                if (!gateway.waitFor(20, TimeUnit.SECONDS)) {
                    gateway.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            broker.stop();
            historian.stop();
        }, "pm500-demo-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        if (awaitSimulator(gateway, simPort, meters, Duration.ofSeconds(60))) {
            writeDrivers(home, meters, simPort, messaging);
        } else if (gateway.isAlive()) {
            System.err.println("pm500 demo: the simulated meters did not listen on 127.0.0.1:" + simPort + "+ within"
                    + " 60 s; see the gateway's log in " + home.resolve("logs") + " (or choose --sim-port)");
        }
        return gateway.waitFor();
    }

    /**
     * Waits until every simulated meter of the gateway accepts connections. The demo configures the drivers only
     * then, so that their first polls find the meters (none starts LOST) and every other configuration, the assets
     * included, is in place before the first reading.
     *
     * @return false when the gateway ended or the meters did not listen in time
     */
    public static boolean awaitSimulator(Process gateway, int simPort, int meters, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 1; i <= meters; i++) {
            while (!accepts(cipPort(simPort, i))) {
                if (!gateway.isAlive() || System.nanoTime() > deadline) {
                    return false;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        return true;
    }

    /** The drivers' configuration: meter i read over EtherNet/IP from the simulator (explicit messaging). */
    public static void writeDrivers(Path home, int meters, int simPort) throws IOException {
        writeDrivers(home, meters, simPort, "connected");
    }

    /**
     * The drivers' configuration in this messaging mode. Class 1: real-time values at an RPI of 100 ms, the rest at
     * a few seconds, received on a free UDP port of the loopback (beside any EtherNet/IP stack on 2222).
     */
    public static void writeDrivers(Path home, int meters, int simPort, String messaging) throws IOException {
        boolean io = messaging.startsWith("io-");
        if (io) {
            write(home.resolve("conf"), "pm500.driver.cip.io.cfg", "port=0", "bindAddress=127.0.0.1");
        }
        for (int i = 1; i <= meters; i++) {
            List<String> lines = new ArrayList<>(List.of("meterId=meter-" + i, "host=127.0.0.1",
                    "port=" + cipPort(simPort, i), "profile=pm500", "messaging=" + messaging));
            if (io) {
                lines.add("blockIntervals=assembly.100=0,assembly.101=100,assembly.102=100,assembly.107=5000,"
                        + "assembly.108=1000");
            }
            write(home.resolve("conf"), "pm500.driver.cip-meter" + i + ".cfg", lines.toArray(String[]::new));
        }
    }

    private static int cipPort(int simPort, int meter) {
        return simPort + 2 * (meter - 1) + 1;
    }

    private static boolean accepts(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code ./pm500 broker}: the broker alone, until Ctrl-C or SIGTERM. It prints the line
     * {@code MQTT 5 broker listening on tcp://127.0.0.1:<port>} once it accepts connections ({@code --port 0}: a free
     * port), which tests wait for: they run it in its own JVM because HiveMQ's Guava clashes with the gateway's.
     */
    static int broker(Options o) throws InterruptedException, IOException, GeneralSecurityException {
        int port = o.number("port", 1883, 0, 65535);
        Path home = Path.of(o.get("home", "pm500.demo/target/broker-home")).toAbsolutePath();
        String tlsDir = o.get("tls", "");
        EmbeddedBroker broker;
        if (tlsDir.isEmpty()) {
            broker = EmbeddedBroker.start(home, port);
        } else {
            // a TLS listener that requires client certificates, as AWS IoT Core does; the test PKI in --tls DIR
            TestCertificates pki = TestCertificates.create(Path.of(tlsDir), "PM500 demo CA");
            pki.caPem();
            pki.clientPem("pm500-gateway");
            broker = EmbeddedBroker.start(home, port, new EmbeddedBroker.Tls(pki.serverKeyStore(),
                    TestCertificates.PASSWORD, pki.caTrustStore(), true));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(broker::stop, "pm500-broker-stop"));
        System.out.println("MQTT 5 broker listening on " + broker.uri());
        Thread.currentThread().join();
        return 0;
    }

    static int historian(Options o) throws InterruptedException {
        int port = o.number("port", 9000, 0, 65535);
        Path home = Path.of(o.get("home", "pm500.demo/target/historian-home")).toAbsolutePath();
        Historian historian = Historian.start(home, port);
        Runtime.getRuntime().addShutdownHook(new Thread(historian::stop, "pm500-historian-stop"));
        System.out.println("Historian (QuestDB) listening on " + historian.url());
        Thread.currentThread().join();
        return 0;
    }

    /**
     * The demo's configuration files but the drivers' ({@link #writeDrivers}), rewritten on every start so a smaller
     * --meters leaves no extra meter.
     *
     * @param historianUrl the historian the InfluxDB sink writes to, or null for none
     */
    public static void writeConfiguration(Path home, Path logback, int meters, int simPort, int mqttPort,
            String historianUrl) throws IOException {
        Path conf = Files.createDirectories(home.resolve("conf"));
        try (Stream<Path> old = Files.list(conf)) {
            for (Path p : old.filter(p -> p.toString().endsWith(".cfg")).toList()) {
                Files.delete(p);
            }
        }
        if (Files.isRegularFile(logback)) {
            Files.copy(logback, conf.resolve("logback.xml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        write(conf, "pm500.simulator.cfg", "meters=" + meters, "host=127.0.0.1", "basePort=" + simPort, "seed=1",
                "profile=pm500");
        for (int i = 1; i <= meters; i++) {
            write(conf, "pm500.asset-meter" + i + ".cfg", "meterId=meter-" + i, "site=demo", "area=line1",
                    "asset=feeder-" + i);
        }
        write(conf, "pm500.route-sparkplug.cfg", "sinkName=sparkplug", "reportByException=true");
        write(conf, "pm500.sink.sparkplug-demo.cfg", "sink.name=sparkplug", "groupId=pm500",
                "brokerUris=tcp://127.0.0.1:" + mqttPort, "scanRateMillis=5000");
        if (historianUrl != null) {
            // a historian takes fewer, larger writes better: up to 5000 readings, at most 1 s late; a backlog in 50000s
            write(conf, "pm500.route-influx.cfg", "sinkName=influx", "batchSize=5000", "catchUpBatchSize=50000",
                    "flushIntervalMillis=1000");
            write(conf, "pm500.sink.influx-demo.cfg", "sink.name=influx", "url=" + historianUrl, "bucket=pm500");
        }
    }

    private static void write(Path dir, String name, String... lines) throws IOException {
        List<String> all = new ArrayList<>();
        all.add("# written by ./pm500 demo on every start");
        all.addAll(List.of(lines));
        Files.write(dir.resolve(name), all);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
