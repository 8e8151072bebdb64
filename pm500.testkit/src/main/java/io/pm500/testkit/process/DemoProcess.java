package io.pm500.testkit.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server of the demo tools in its own JVM on loopback, as the demo runs them beside the gateway: {@code ./pm500
 * broker} (HiveMQ CE, whose Netty and Guava must stay off the OSGi framework) and {@code ./pm500 historian}
 * (QuestDB). For process-level tests and tests inside Felix alike.
 */
public final class DemoProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on ((?:tcp|ssl|http)://\\S+)");

    private final Process process;
    private final String address;

    private DemoProcess(Path demoTarget, String what, List<String> command) throws IOException {
        Path demo = demoTarget.toAbsolutePath().normalize();
        String classPath = demo.resolve("pm500.demo-0.1.0-SNAPSHOT.jar") + java.io.File.pathSeparator
                + demo.resolve("lib") + java.io.File.separator + "*";
        List<String> args = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", classPath, "io.pm500.demo.Main"));
        args.addAll(command);
        process = new ProcessBuilder(args).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<String> listening = CompletableFuture.supplyAsync(() -> {
            StringBuilder seen = new StringBuilder();
            try {
                for (String line; (line = out.readLine()) != null;) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        drain(out);
                        return m.group(1);
                    }
                    seen.append(line).append('\n');
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            throw new IllegalStateException(what + " exited before listening:\n" + seen);
        });
        try {
            address = listening.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException(what + " (" + demo + ") did not start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what + " started", e);
        }
    }

    /** Keeps reading the server's output, so a chatty server never blocks on a full pipe, until it ends. */
    private static void drain(BufferedReader out) {
        Thread t = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discarded: the server's own log
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "pm500-demo-process-output");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The MQTT 5 broker on a free port.
     *
     * @param demoTarget the {@code pm500.demo/target} directory (its jar and {@code lib/})
     * @param home       the broker's working directory
     */
    public static DemoProcess broker(Path demoTarget, Path home) throws IOException {
        return new DemoProcess(demoTarget, "the MQTT broker", List.of("broker", "--port", "0", "--home",
                home.toString()));
    }

    /**
     * The MQTT 5 broker on a free port with a TLS listener that requires client certificates, as AWS IoT Core does.
     * It writes its test PKI to {@code tlsDir}: {@code ca.pem}, and the client's {@code pm500-gateway-cert.pem} and
     * {@code pm500-gateway-key.pem}.
     */
    public static DemoProcess tlsBroker(Path demoTarget, Path home, Path tlsDir) throws IOException {
        return new DemoProcess(demoTarget, "the MQTT broker", List.of("broker", "--port", "0", "--home",
                home.toString(), "--tls", tlsDir.toString()));
    }

    /**
     * The historian with its data in {@code home}; start it again with the same port and home after {@link #close()}
     * for an outage.
     *
     * @param port a port (0: a free one)
     */
    public static DemoProcess historian(Path demoTarget, Path home, int port) throws IOException {
        return new DemoProcess(demoTarget, "the historian", List.of("historian", "--port", String.valueOf(port),
                "--home", home.toString()));
    }

    /** {@code tcp://127.0.0.1:port} or {@code ssl://localhost:port} for the broker, {@code http://…} for the historian. */
    public String address() {
        return address;
    }

    public int port() {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
