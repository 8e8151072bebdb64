package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import aQute.bnd.osgi.repository.SimpleIndexer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.pm500.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22: the fleet agent against a repository served by the JDK's HTTP server, indexes signed by openssl. The
 * build's own repository (target/repository) is release 1; release 2 adds a third-party sink named in the agent's
 * features, which is installed and receives the readings its outbox kept, and stays installed across a restart;
 * release 3 replaces it with a build whose sink never comes up and is rolled back by the health gate; a tampered
 * artifact and an index signed with another key are refused and never installed; a repository that is down or too
 * slow delays nothing else; the feature taken off the list is uninstalled; a release that replaces a bundle the agent
 * itself uses (the kit) is gated by the agent the refresh puts in its place. Through all of it a simulated meter is
 * polled every 500 ms and no reading is lost.
 */
@Tag("slow")
class FleetIT {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SINK = "pm500.example.sink.jsonl";

    @TempDir
    Path home;
    @TempDir
    Path work;
    private GatewayProcess gateway;
    private HttpServer server;
    private final AtomicReference<String> mode = new AtomicReference<>("up");
    private final AtomicInteger indexRequests = new AtomicInteger();
    private final AtomicInteger notModified = new AtomicInteger();
    private final AtomicInteger gzipped = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void releasesInstallRollBackAndBadOnesAreRefusedWithNoReadingLost() throws Exception {
        Path repo = work.resolve("repo");
        Path channel = repo.resolve("stable");
        Files.createDirectories(channel.resolve("bundles"));
        serve(repo);
        Path key = openssl(work, "genpkey", "-algorithm", "ed25519", "-out", "fleet-key.pem");
        Path otherKey = openssl(work, "genpkey", "-algorithm", "ed25519", "-out", "other-key.pem");

        gateway = GatewayProcess.demo(home);
        Path conf = home.resolve("conf");
        Path publicKey = conf.resolve("fleet-public.pem");
        run(work, "openssl", "pkey", "-in", key.toString(), "-pubout", "-out", publicKey.toString());
        int base = GatewayProcess.freePorts(2);
        Files.writeString(conf.resolve("pm500.simulator.cfg"), "meters=1\nhost=127.0.0.1\nbasePort=" + base
                + "\nseed=1\nprofile=pm500\n");
        Files.writeString(conf.resolve("pm500.driver.modbus-m1.cfg"), "meterId=m1\nhost=127.0.0.1\nport=" + base
                + "\nblockIntervals=info=0, status=500, energy=1000\n");
        Files.writeString(conf.resolve("pm500.route-lines.cfg"), "sinkName=lines\n");
        Path lines = home.resolve("lines.jsonl");
        Files.writeString(conf.resolve(SINK + "-lines.cfg"), "sink.name=lines\nfile=" + lines + "\n");
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
        Path fleetCfg = conf.resolve("pm500.fleet.cfg");
        String fleet = "repositoryUrls=" + url + "\nchannel=stable\npollIntervalSeconds=1\njitterSeconds=0\n"
                + "healthGateSeconds=15\ntimeoutSeconds=2\npublicKeyFile=" + publicKey + "\n";

        // release 1: what the build publishes, the same bundles as the jar
        Path built = Path.of("target", "repository");
        try (Stream<Path> jars = Files.list(built.resolve("bundles"))) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, channel.resolve("bundles").resolve(jar.getFileName()));
            }
        }
        Files.copy(built.resolve("index.xml"), channel.resolve("index.xml"));
        long r1 = Long.parseLong(matcher("increment=\"(\\d+)\"", Files.readString(channel.resolve("index.xml"))));
        sign(channel, key);
        Files.writeString(fleetCfg, fleet);
        gateway.launch(GatewayProcess.freePort());
        String password = gateway.await(Pattern.compile("generated password for user 'admin': (\\S+)"), STEP);
        gateway.await(Pattern.compile("(Fleet: release " + r1 + " \\(.*\\) changes nothing on this gateway)"), STEP);
        Await.until(STEP, () -> "conditional requests answered 304: " + notModified, () -> notModified.get() > 2);

        // release 2: the third-party sink as a feature; its outbox has been filling since the start
        Path sinkV1 = channel.resolve("bundles").resolve("jsonl-sink-1.jar");
        Files.copy(GatewayProcess.bundleJar(SINK), sinkV1);
        long r2 = publish(channel, r1 + 1, key);
        Files.writeString(fleetCfg, fleet + "features=" + SINK + "\n");
        gateway.await(Pattern.compile("(Fleet: release " + r2 + " \\(.*\\) applied and healthy)"), STEP);
        Await.until(STEP, () -> "readings in " + lines, () -> Files.exists(lines) && Files.size(lines) > 0);

        // the installed set survives a restart (here a crash): the sink is there before any fleet pass
        gateway.kill();
        long linesBefore = lineCount(lines);
        int port = GatewayProcess.freePort();
        gateway.launch(port);
        gateway.await(GatewayProcess.CONSOLE, STEP);
        Await.until(STEP, () -> "the sink writing after the restart", () -> lineCount(lines) > linesBefore);
        assertThat(gateway.output()).noneMatch(l -> l.contains("Fleet: applying"));

        // release 3: a sink build that never registers its sink: the gate fails, release 2's sink comes back
        Files.write(channel.resolve("bundles").resolve("jsonl-sink-broken.jar"),
                rebuild(GatewayProcess.bundleJar(SINK), "9.0.0", true));
        long r3 = publish(channel, r2 + 1, key);
        gateway.await(Pattern.compile("(Fleet: release " + r3 + " rolled back: its health gate failed after 15 s:"
                + " .*sinks not up again: \\[lines\\])"), STEP);
        gateway.await(Pattern.compile("(Fleet: rolled back to release " + r2 + "; healthy again)"), STEP);
        // what an operator's monitoring sees (/metrics, no login)
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(Double.parseDouble(matcher("pm500_fleet_release\\{release=\"current\"\\} (\\S+)", metrics)))
                .isEqualTo(r2);
        assertThat(Double.parseDouble(matcher("pm500_fleet_release\\{release=\"failed\"\\} (\\S+)", metrics)))
                .isEqualTo(r3);
        Files.delete(channel.resolve("bundles").resolve("jsonl-sink-broken.jar"));

        // release 4: a valid sink build, but its artifact was changed after the index was signed
        Path tampered = channel.resolve("bundles").resolve("jsonl-sink-2.jar");
        Files.write(tampered, rebuild(GatewayProcess.bundleJar(SINK), "9.0.1", false));
        long r4 = publish(channel, r3 + 1, key);
        byte[] bytes = Files.readAllBytes(tampered);
        bytes[bytes.length / 2] ^= 1;
        Files.write(tampered, bytes);
        gateway.await(Pattern.compile("(Fleet: release " + r4 + " .* refused: .*jsonl.* is not what the signed index"
                + " says)"), STEP);

        // release 5: signed with a key that is not the fleet's; once signed right, the valid sink build applies
        Files.write(tampered, rebuild(GatewayProcess.bundleJar(SINK), "9.0.1", false));
        long r5 = publish(channel, r4 + 1, otherKey);
        gateway.await(Pattern.compile("(the signature of .*index.xml does not verify with the fleet public key)"),
                STEP);
        assertThat(gateway.output()).noneMatch(l -> l.contains("applying release " + r4)
                || l.contains("applying release " + r5));
        sign(channel, key);
        gateway.await(Pattern.compile("(Fleet: release " + r5 + " \\(.*\\) applied and healthy)"), STEP);

        // the repository down, then too slow: the gateway goes on, the agent says so once and when it is back
        long during = lineCount(lines);
        int logged = gateway.output().size();
        mode.set("down");
        gateway.await(Pattern.compile("(Fleet: no repository answered with a signed index: .*HTTP 503.*)"), STEP);
        mode.set("slow");
        Thread.sleep(5_000);
        Await.until(STEP, () -> "readings while the repository is away", () -> lineCount(lines) > during + 10);
        mode.set("up");
        Await.until(STEP, () -> "the agent says the repository is back", () -> since(logged).stream()
                .anyMatch(l -> l.matches(".*Fleet: the repository answers again \\(\\d+ failed polls\\)")));
        assertThat(since(logged).stream().filter(l -> l.contains("no repository answered")).count())
                .as("said once while it lasted").isEqualTo(1);

        // every reading of the meter reached the sink once, across install, crash, rollback and refusals
        Await.until(STEP, () -> "backlog delivered", () -> lineCount(lines) > during + 20);
        List<JsonNode> got = new ArrayList<>();
        for (String line : Files.readAllLines(lines)) {
            got.add(JSON.readTree(line));
        }
        List<Instant> status = got.stream().filter(r -> r.path("metric").asText().equals("alarms.virtual"))
                .map(r -> Instant.parse(r.path("acquiredAt").asText())).sorted().distinct().toList();
        assertThat(status.size()).isGreaterThan(50);
        int gaps = 0;
        for (int i = 1; i < status.size(); i++) {
            if (Duration.between(status.get(i - 1), status.get(i)).compareTo(Duration.ofMillis(1500)) >= 0) {
                gaps++;
                System.out.printf("fleet: gap %s .. %s%n", status.get(i - 1), status.get(i));
            }
        }
        // one gap: the crash, when the meter was not polled at all; none from the updates
        assertThat(gaps).as("holes in the 500 ms status block").isLessThanOrEqualTo(1);

        // the feature taken off the list: its bundle is uninstalled, its outbox keeps what comes for it
        Files.writeString(fleetCfg, fleet);
        gateway.await(Pattern.compile("(Fleet: applying release " + r5 + " .*uninstall \\["
                + Pattern.quote(SINK) + "\\])"), STEP);
        Await.until(STEP, () -> "the uninstall applied", () -> since(logged).stream().anyMatch(l -> l.contains(
                "Fleet: release " + r5 + " (pm500 release " + r5 + ") applied and healthy")));

        // release 6: a new build of a bundle the agent itself uses (the kit): the refresh replaces the agent, and
        // the agent that comes up takes over the health gate
        Files.write(channel.resolve("bundles").resolve("pm500.kit-next.jar"),
                rebuild(GatewayProcess.bundleJar("pm500.kit"), "9.9.9", false));
        long r6 = publish(channel, r5 + 1, key);
        Await.until(STEP, () -> "release " + r6 + " gated by the agent that replaced the applying one; the agent"
                + " said:\n" + fleetLines(),
                () -> since(logged).stream().anyMatch(l -> l.contains("Fleet: taking over the health gate of release "
                        + r6)) && since(logged).stream().anyMatch(l -> l.contains("Fleet: release " + r6 + " (pm500"
                                + " release " + r6 + ") applied and healthy")));

        System.out.println(fleetLines());
        System.out.printf("fleet: releases %d..%d: %d readings delivered, status block %s..%s, %d index requests"
                + " (%d answered 304, %d sent gzipped)%n", r1, r6, got.size(), status.get(0),
                status.get(status.size() - 1), indexRequests.get(), notModified.get(), gzipped.get());
        assertThat(gzipped.get()).as("indexes sent gzipped to an agent that asks for it").isPositive();

        // the fleet's kit stays across a restart: the launcher updates a bundle from the gateway's jar only when the
        // jar's copy changed (its manifest's digests), not at every start, which put the factory kit back silently
        gateway.kill();
        int again = GatewayProcess.freePort();
        gateway.launch(again);
        gateway.await(GatewayProcess.CONSOLE, STEP);
        assertThat(bundleVersion(again, password, "pm500.kit")).isEqualTo("9.9.9");
        assertThat(gateway.output()).noneMatch(l -> l.contains("Fleet: applying"));
    }

    /** The version of a bundle as the Web Console lists it (Basic authentication, as a script would). */
    private static String bundleVersion(int port, String password, String symbolicName) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/system/console/bundles.json")).header("Authorization", "Basic "
                        + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("bundles.json: %s", response.body()).isEqualTo(200);
        for (JsonNode bundle : JSON.readTree(response.body()).path("data")) {
            if (bundle.path("symbolicName").asText().equals(symbolicName)) {
                return bundle.path("version").asText();
            }
        }
        throw new AssertionError(symbolicName + " not listed: " + response.body());
    }

    private String fleetLines() {
        try {
            return String.join("\n", gateway.output().stream().filter(l -> l.contains("Fleet: ") || l.contains("ERROR"))
                    .map(l -> l.length() > 240 ? l.substring(0, 240) + "…" : l).toList());
        } catch (IOException e) {
            return e.toString();
        }
    }

    private List<String> since(int line) throws IOException {
        List<String> all = gateway.output();
        return all.subList(Math.min(line, all.size()), all.size());
    }

    /** Indexes the channel's bundles as release {@code increment} (bnd's indexer, as the build does) and signs it. */
    private static long publish(Path channel, long increment, Path key) throws Exception {
        List<File> files;
        try (Stream<Path> jars = Files.list(channel.resolve("bundles"))) {
            files = jars.map(Path::toFile).toList();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SimpleIndexer().files(files).base(channel.toUri()).name("pm500 release " + increment)
                .increment(increment).index(out);
        Files.write(channel.resolve("index.xml"), out.toByteArray());
        sign(channel, key);
        return increment;
    }

    /** A detached Ed25519 signature of index.xml made by openssl, as a release manager would. */
    private static void sign(Path channel, Path key) throws Exception {
        run(channel, "openssl", "pkeyutl", "-sign", "-inkey", key.toString(), "-rawin", "-in", "index.xml", "-out",
                "index.xml.sig");
    }

    /**
     * A bundle under another version; {@code broken}: without its component descriptions, so it starts but (for the
     * sink) its sink never registers (what the health gate must catch).
     */
    private static byte[] rebuild(Path jar, String version, boolean broken) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            Attributes main = manifest.getMainAttributes();
            main.putValue("Bundle-Version", version);
            if (broken) {
                main.remove(new Attributes.Name("Service-Component"));
            }
            try (JarOutputStream jos = new JarOutputStream(out, manifest)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
                    if (broken && e.getName().startsWith("OSGI-INF/") && e.getName().endsWith(".xml")) {
                        continue;
                    }
                    jos.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(jos);
                    jos.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    /** Files under {@code root} over HTTP with ETags; "down" answers 503, "slow" answers after 5 s. */
    private void serve(Path root) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            try (exchange) {
                String m = mode.get();
                if (m.equals("down")) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                if (m.equals("slow")) {
                    try {
                        Thread.sleep(5_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                Path file = root.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
                if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] body = Files.readAllBytes(file);
                String etag = "\"" + HexFormat.of().formatHex(sha256(body)) + "\"";
                if (file.getFileName().toString().equals("index.xml")) {
                    indexRequests.incrementAndGet();
                    if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                        notModified.incrementAndGet();
                        exchange.sendResponseHeaders(304, -1);
                        return;
                    }
                }
                exchange.getResponseHeaders().set("ETag", etag);
                String accepts = exchange.getRequestHeaders().getFirst("Accept-Encoding");
                if (file.getFileName().toString().equals("index.xml") && accepts != null && accepts.contains("gzip")) {
                    ByteArrayOutputStream zipped = new ByteArrayOutputStream();
                    try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
                        gz.write(body);
                    }
                    body = zipped.toByteArray();
                    exchange.getResponseHeaders().set("Content-Encoding", "gzip");
                    gzipped.incrementAndGet();
                }
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(body);
                }
            }
        });
        server.start();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long lineCount(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (Stream<String> l = Files.lines(file)) {
            return l.count();
        }
    }

    private static String matcher(String regex, String text) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in:%n%s", regex, text.length() > 2000 ? text.substring(0, 2000) : text).isTrue();
        return m.group(1);
    }

    private static Path openssl(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        run(dir, command.toArray(String[]::new));
        return dir.resolve(args[args.length - 1]);
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
    }
}
