package io.pm500.demo;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real MQTT 5 broker (HiveMQ CE, embedded) on 127.0.0.1, for the demo and the tests. It runs beside the gateway,
 * never inside it: its Netty would clash with the gateway's bundles, and a plant uses its own broker anyway.
 * Persistence is in memory: a restart loses retained messages and sessions, like a broker replaced by another.
 */
public final class EmbeddedBroker implements AutoCloseable {

    /**
     * A TLS listener.
     *
     * @param keystore          PKCS#12 file with the broker's key and certificate
     * @param password          password of both stores and of the key
     * @param truststore        PKCS#12 file with the CAs that sign client certificates, or null
     * @param requireClientCert refuse clients without a certificate the truststore accepts
     */
    public record Tls(Path keystore, String password, Path truststore, boolean requireClientCert) {
    }

    private final Path dir;
    private final int port;
    private final Tls tls;
    private EmbeddedHiveMQ hivemq;

    private EmbeddedBroker(Path dir, int port, Tls tls) {
        this.dir = dir;
        this.port = port;
        this.tls = tls;
    }

    /** Starts a plain TCP listener on 127.0.0.1:port (0: a free port). */
    public static EmbeddedBroker start(Path dir, int port) {
        return start(dir, port, null);
    }

    /** Starts a listener on 127.0.0.1:port (0: a free port), TLS when {@code tls} is given. */
    public static EmbeddedBroker start(Path dir, int port, Tls tls) {
        EmbeddedBroker b = new EmbeddedBroker(dir, port == 0 ? LoopbackPorts.free() : port, tls);
        b.start();
        return b;
    }

    /** {@code tcp://127.0.0.1:port} or {@code ssl://localhost:port} (the name the test certificates carry). */
    public String uri() {
        return tls == null ? "tcp://127.0.0.1:" + port : "ssl://localhost:" + port;
    }

    /** Starts again on the same port, with no retained messages or sessions. */
    public synchronized void start() {
        if (hivemq != null) {
            return;
        }
        try {
            Path conf = Files.createDirectories(dir.resolve("conf"));
            Files.writeString(conf.resolve("config.xml"), config());
            hivemq = EmbeddedHiveMQ.builder().withConfigurationFolder(conf)
                    .withDataFolder(Files.createDirectories(dir.resolve("data")))
                    .withExtensionsFolder(Files.createDirectories(dir.resolve("extensions")))
                    .withoutLoggingBootstrap().build();
            hivemq.start().get(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ExecutionException | TimeoutException e) {
            hivemq = null;
            throw new IllegalStateException("MQTT broker did not start on 127.0.0.1:" + port + " (is the port in use?): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the broker", e);
        }
    }

    public synchronized void stop() {
        if (hivemq == null) {
            return;
        }
        try {
            hivemq.close();
        } catch (ExecutionException e) {
            throw new IllegalStateException("MQTT broker did not stop: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hivemq = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private String config() {
        String listener;
        if (tls == null) {
            listener = "<tcp-listener><port>" + port + "</port><bind-address>127.0.0.1</bind-address></tcp-listener>";
        } else {
            listener = "<tls-tcp-listener><port>" + port + "</port><bind-address>127.0.0.1</bind-address><tls>"
                    + "<keystore><path>" + tls.keystore() + "</path><password>" + tls.password() + "</password>"
                    + "<private-key-password>" + tls.password() + "</private-key-password></keystore>"
                    + (tls.truststore() == null ? "" : "<truststore><path>" + tls.truststore() + "</path><password>"
                            + tls.password() + "</password></truststore>")
                    + "<client-authentication-mode>" + (tls.requireClientCert() ? "REQUIRED" : "NONE")
                    + "</client-authentication-mode></tls></tls-tcp-listener>";
        }
        return "<?xml version=\"1.0\"?>\n<hivemq><listeners>" + listener + "</listeners>"
                + "<persistence><mode>in-memory</mode></persistence>"
                + "<anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>"
                + "<general><update-check-enabled>false</update-check-enabled></general></hivemq>\n";
    }
}
