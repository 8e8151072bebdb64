package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An exported gateway jar run as {@code java -jar} in a gateway home, its output captured in a file. */
final class GatewayProcess implements AutoCloseable {
    /** The gateway a plant installs. */
    static final Path JAR = Path.of("target", "gateway", "pm500-gateway.jar").toAbsolutePath();
    /** The demo's: the same gateway and the simulated meters. */
    static final Path DEMO_JAR = JAR.resolveSibling("pm500-demo.jar");
    static final Pattern CONSOLE = Pattern.compile("Web Console: (http://\\S+)");

    private final Path home;
    private final Path jar;
    private Process process;
    private Path outputFile;

    /** Prepares a fresh home for the production gateway: the default logging configuration in {@code conf/}. */
    GatewayProcess(Path home) throws IOException {
        this(home, JAR);
    }

    /** The demo's gateway, for tests whose meters are the simulator's (pm500.simulator.cfg). */
    static GatewayProcess demo(Path home) throws IOException {
        return new GatewayProcess(home, DEMO_JAR);
    }

    private GatewayProcess(Path home, Path jar) throws IOException {
        assertThat(jar).as("exported gateway jar (built by bnd-export in the package phase)").exists();
        this.home = home;
        this.jar = jar;
        Files.createDirectories(home.resolve("conf"));
        Files.copy(JAR.resolveSibling("conf").resolve("logback.xml"), home.resolve("conf").resolve("logback.xml"),
                StandardCopyOption.REPLACE_EXISTING); // the same home may run the demo's jar, then the gateway's
    }

    Path home() {
        return home;
    }

    void launch(int httpPort) throws IOException {
        start(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.osgi.service.http.port=" + httpPort, "-jar", jar.toString());
    }

    /** Through the {@code pm500-gateway} launcher script beside the jar, as an operator or a service unit does. */
    void launchScript(int httpPort) throws IOException {
        start("sh", JAR.resolveSibling("pm500-gateway").toString(), "-Dorg.osgi.service.http.port=" + httpPort);
    }

    private void start(String... command) throws IOException {
        // To a file, not a pipe: Java's process pipes may drop what the child writes while it exits.
        outputFile = Files.createTempFile(home, "gateway", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(outputFile.toFile());
        builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator
                + System.getenv("PATH"));
        process = builder.start();
    }

    Process process() {
        return process;
    }

    /**
     * The lines the gateway has finished writing: a line still being written is left for the next call, or a caller
     * that remembers how many lines it has read would never see that line whole.
     */
    List<String> output() throws IOException {
        String text = Files.readString(outputFile, StandardCharsets.UTF_8);
        return text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
    }

    /** Waits for the gateway to print a line matching the pattern; the output file is the only signal there is. */
    String await(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            for (String line : output()) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    return m.group(1);
                }
            }
            assertThat(process.isAlive()).as("gateway still running; output:%n%s", output()).isTrue();
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no line matching " + pattern + " within " + timeout + "; output:\n"
                + String.join("\n", output()));
    }

    /** Waits for the gateway's audit log to record an event holding {@code text} (e.g. a browser's login). */
    void awaitAudit(String text, Duration timeout) throws IOException, InterruptedException {
        Path audit = home.resolve("logs").resolve("audit.log");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(audit) || !Files.readString(audit).contains(text)) {
            assertThat(System.nanoTime() < deadline).as("audit event %s within %s", text, timeout).isTrue();
            Thread.sleep(50);
        }
    }

    /** SIGKILL: the JVM gets no chance to run a shutdown hook or flush anything. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("killed").isTrue();
    }

    /** Stops what was started, the launcher script's java too (by PID: a script does not pass SIGTERM on). */
    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            children.forEach(ProcessHandle::destroyForcibly);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
    }

    /** Copies the test kit bundle (a test dependency of this module, on the class path) into the home's deploy/. */
    void deployTestkit() throws IOException {
        Files.createDirectories(home.resolve("deploy"));
        Files.copy(bundleJar("pm500.testkit"), home.resolve("deploy").resolve("pm500.testkit.jar"));
    }

    /** The jar of a bundle this module depends on for its tests. */
    static Path bundleJar(String artifactId) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.contains(artifactId) && p.endsWith(".jar")).map(Path::of).findFirst()
                .orElseThrow(() -> new AssertionError(artifactId + " jar not on the test class path"));
    }

    /**
     * The first of {@code count} consecutive free ports on loopback (the simulator takes a range), below the system's
     * ephemeral ports: in that range an outgoing connection — the gateway's own, to the meters bound already — can
     * take a port between this probe and the simulator binding it, and that meter would never answer.
     */
    static int freePorts(int count) throws IOException {
        int below = ephemeralPortsFrom();
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 10_000 + ThreadLocalRandom.current().nextInt(Math.max(1, below - 10_000 - count));
            boolean free = true;
            for (int p = base; p < base + count && free; p++) {
                try (ServerSocket probe = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                    probe.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no " + count + " consecutive free ports on loopback");
    }

    /** The lowest ephemeral port (Linux's {@code ip_local_port_range}; its default when unreadable). */
    private static int ephemeralPortsFrom() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
