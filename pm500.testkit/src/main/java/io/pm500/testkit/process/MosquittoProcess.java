package io.pm500.testkit.process;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * An MQTT broker we did not write: Debian's Mosquitto ({@code apt-get install mosquitto}; {@code .ci/run} does) in
 * its own process, with a generated configuration (one loopback listener, anonymous clients, no persistence). The
 * port is chosen free before the start, as Mosquitto cannot report an ephemeral one; {@link #kill()} and
 * {@link #run()} stop and start it again on the same port, {@link #close()} stops it by its PID.
 */
public final class MosquittoProcess extends PeerProcess {
    /** Where Debian installs the broker; {@code -Dpm500.mosquitto=<path>} for another. */
    public static final String BINARY = System.getProperty("pm500.mosquitto", "/usr/sbin/mosquitto");

    /** PEM files of a TLS listener that requires a client certificate signed by {@code ca}. */
    public record Tls(Path ca, Path cert, Path key) {
    }

    private final Path dir;
    private final int port;
    private final Tls tls;

    private MosquittoProcess(Path dir, int port, Tls tls) {
        this.dir = dir;
        this.port = port;
        this.tls = tls;
    }

    /** Starts a broker on a free loopback port and waits until it accepts connections; fails when it cannot. */
    public static MosquittoProcess start() throws IOException, InterruptedException {
        return start(null);
    }

    /**
     * Starts a broker whose listener speaks TLS and requires a client certificate (as AWS IoT Core does), on a free
     * loopback port; clients reach it as {@code localhost}, the name the test certificates carry.
     */
    public static MosquittoProcess start(Tls tls) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException("Mosquitto not found at " + BINARY + ": install Debian's mosquitto"
                    + " (apt-get install mosquitto; .ci/run does) or set -Dpm500.mosquitto=<path>");
        }
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            MosquittoProcess m = new MosquittoProcess(Files.createTempDirectory("mosquitto"), freePort(), tls);
            try {
                m.run();
                return m;
            } catch (IOException e) { // the port was taken between choosing and binding it
                m.close();
                last = e;
            }
        }
        throw last;
    }

    /** (Re)starts the broker on its port and waits until it accepts connections. */
    public void run() throws IOException, InterruptedException {
        Path conf = dir.resolve("mosquitto.conf");
        Path log = dir.resolve("mosquitto.log");
        // as root, Mosquitto 2 drops to user 'mosquitto' unless told to stay the user it runs as
        String listener = String.join("\n", "listener " + port + " 127.0.0.1", "allow_anonymous true");
        if (tls != null) {
            listener += String.join("\n", "", "cafile " + tls.ca(), "certfile " + tls.cert(), "keyfile " + tls.key(),
                    "require_certificate true");
        }
        Files.writeString(conf, String.join("\n", listener, "persistence false", "log_dest file " + log,
                "log_type error", "log_type warning", "log_type notice", "log_type information",
                "user " + System.getProperty("user.name"), ""), StandardCharsets.UTF_8);
        process = new ProcessBuilder(BINARY, "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                close();
                throw new IOException("Mosquitto did not listen on 127.0.0.1:" + port + ": " + output());
            }
            Thread.sleep(20);
        }
    }

    public int port() {
        return port;
    }

    /** The broker's URI for Paho: {@code tcp://127.0.0.1:<port>}, or {@code ssl://localhost:<port>} with TLS. */
    public String uri() {
        return tls == null ? "tcp://127.0.0.1:" + port : "ssl://localhost:" + port;
    }

    /** What the broker logged (connections, wills, errors), for a failing test's message. */
    public String output() {
        StringBuilder out = new StringBuilder();
        for (String name : new String[] { "mosquitto.out", "mosquitto.log" }) {
            try {
                Path f = dir.resolve(name);
                if (Files.exists(f)) {
                    out.append(Files.readString(f, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                out.append(name).append(": ").append(e);
            }
        }
        return out.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
