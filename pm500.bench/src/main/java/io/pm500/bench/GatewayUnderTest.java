package io.pm500.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway as a plant runs it: the build's launcher script ({@code pm500-gateway}, with its default Java options)
 * in a home of its own, configured by files in {@code conf/}, which the gateway reads.
 */
final class GatewayUnderTest implements AutoCloseable {
    /** GC.heap_info's lines of each heap space (serial, G1, parallel collector). */
    private static final Pattern HEAP = Pattern.compile("^\\s*(?:def new generation|tenured generation"
            + "|garbage-first heap|PSYoungGen|ParOldGen)\\s+total \\d+K, used (\\d+)K");
    private static final Pattern METASPACE = Pattern.compile("^\\s*Metaspace\\s+used (\\d+)K");
    private static final Pattern QUEUED = Pattern.compile("^pm500_sink_queued_readings\\{sink=\"([^\"]+)\"\\} (\\S+)$",
            Pattern.MULTILINE);

    private final Path home;
    private final Process launcher;
    private final ProcessHandle java;
    private final int consolePort;
    private final long startedNanos;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private GatewayUnderTest(Path home, Process launcher, ProcessHandle java, int consolePort, long startedNanos) {
        this.home = home;
        this.launcher = launcher;
        this.java = java;
        this.consolePort = consolePort;
        this.startedNanos = startedNanos;
    }

    /**
     * Starts {@code <gatewayDir>/pm500-gateway [javaOptions]} in {@code home}, whose {@code conf/} the caller filled.
     */
    static GatewayUnderTest start(Path gatewayDir, Path home, List<String> javaOptions)
            throws IOException, InterruptedException {
        Path script = gatewayDir.resolve("pm500-gateway");
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("no gateway at " + script + ": build it (./mvnw -B -q install -DskipTests)"
                    + " or name its directory with --gateway");
        }
        Path logback = gatewayDir.resolve("conf/logback.xml");
        Files.createDirectories(home.resolve("conf"));
        if (Files.isRegularFile(logback)) {
            Files.copy(logback, home.resolve("conf/logback.xml"), StandardCopyOption.REPLACE_EXISTING);
        }
        int port = freePort();
        List<String> command = new ArrayList<>(List.of("sh", script.toString()));
        command.addAll(javaOptions);
        command.add("-Dorg.osgi.service.http.port=" + port);
        long started = System.nanoTime();
        Process launcher = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("gateway.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ProcessHandle java;
        while ((java = javaChild(launcher)) == null) {
            if (!launcher.isAlive() || System.nanoTime() > deadline) {
                launcher.destroyForcibly();
                throw new IOException("the launcher did not start Java; see " + home.resolve("gateway.out"));
            }
            Thread.sleep(1);
        }
        return new GatewayUnderTest(home, launcher, java, port, started);
    }

    /**
     * The launcher's Java process running the gateway's jar once it runs (its first children are shell commands and
     * a {@code java -version} probing an option).
     */
    private static ProcessHandle javaChild(Process launcher) {
        return launcher.toHandle().children()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)
                        && p.info().arguments().map(a -> List.of(a).contains("-jar")).orElse(false))
                .findAny().orElse(null);
    }

    /** The Java process's id, for {@link ProcStat}. */
    long pid() {
        return java.pid();
    }

    Path conf() {
        return home.resolve("conf");
    }

    /** Waits until the Web Console answers HTTP (any status: it may ask for a password); ms since the start. */
    long awaitConsole(Duration timeout) throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/system/console"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                http.send(get, HttpResponse.BodyHandlers.discarding());
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
            } catch (IOException e) {
                if (!java.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the gateway's console did not answer on port " + consolePort + " within "
                            + timeout.toSeconds() + " s; see " + home.resolve("gateway.out"), e);
                }
                Thread.sleep(10);
            }
        }
    }

    /** Writes {@code conf/<name>.cfg}: to a temporary name first, so the gateway never reads half a file. */
    void configure(String name, String... lines) throws IOException {
        Path tmp = home.resolve(name + ".cfg.tmp");
        Files.write(tmp, List.of(lines));
        Files.move(tmp, conf().resolve(name + ".cfg"), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Readings waiting in each sink's outbox, by sink name, from the gateway's Prometheus endpoint. */
    Map<String, Long> queuedReadings() throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/metrics"))
                .timeout(Duration.ofSeconds(2)).build();
        String metrics = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Long> queued = new HashMap<>();
        Matcher m = QUEUED.matcher(metrics);
        while (m.find()) {
            queued.put(m.group(1), (long) Double.parseDouble(m.group(2)));
        }
        return queued;
    }

    /**
     * The heap's live set and the metaspace in use, in MB, after a full collection ({@code jcmd GC.run}, then
     * {@code GC.heap_info}): what the heap limit must hold, unlike RSS, which grows to whatever limit is set.
     */
    long[] liveHeapAndMetaspaceMb() throws IOException, InterruptedException {
        jcmd("GC.run");
        long heapKb = 0;
        long metaKb = 0;
        for (String line : jcmd("GC.heap_info").split("\n")) {
            Matcher heap = HEAP.matcher(line);
            Matcher meta = METASPACE.matcher(line);
            if (heap.find()) {
                heapKb += Long.parseLong(heap.group(1));
            } else if (meta.find()) {
                metaKb = Long.parseLong(meta.group(1));
            }
        }
        return new long[] { heapKb / 1024, metaKb / 1024 };
    }


    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(java.pid()), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    /** SIGTERM to Java (the gateway stops its bundles, the launcher ends with it); killed after 30 s. */
    @Override
    public void close() throws InterruptedException {
        java.destroy();
        // the Java process itself, not the launcher: a gateway still stopping after a failed run was left behind
        try {
            java.onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            java.destroyForcibly();
        }
        if (!launcher.waitFor(10, TimeUnit.SECONDS)) {
            launcher.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
