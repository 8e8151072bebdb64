package io.pm500.testkit.broker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./pm500 broker} (HiveMQ CE) in its own JVM on a free loopback port, as the demo runs it beside the gateway:
 * HiveMQ's Netty and Guava must stay off the OSGi framework and away from the gateway's EtherNet/IP library. For
 * process-level tests and tests inside Felix alike.
 */
public final class BrokerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("MQTT 5 broker listening on (tcp://\\S+)");

    private final Process process;
    private final String uri;

    /**
     * Starts the broker and waits until it listens.
     *
     * @param demoTarget the {@code pm500.demo/target} directory (its jar and {@code lib/})
     * @param home       the broker's working directory
     */
    public BrokerProcess(Path demoTarget, Path home) throws IOException {
        Path demo = demoTarget.toAbsolutePath().normalize();
        String classPath = demo.resolve("pm500.demo-0.1.0-SNAPSHOT.jar") + java.io.File.pathSeparator
                + demo.resolve("lib") + java.io.File.separator + "*";
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                classPath, "io.pm500.demo.Main", "broker", "--port", "0", "--home", home.toString())
                .redirectErrorStream(true).start();
        CompletableFuture<String> listening = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                StringBuilder seen = new StringBuilder();
                for (String line; (line = out.readLine()) != null;) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                    seen.append(line).append('\n');
                }
                throw new IllegalStateException("the broker exited before listening:\n" + seen);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            uri = listening.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("MQTT broker (" + demo + ") did not start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the broker started", e);
        }
    }

    public String uri() {
        return uri;
    }

    public int port() {
        return Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
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
