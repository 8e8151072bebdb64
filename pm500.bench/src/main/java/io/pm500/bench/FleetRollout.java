package io.pm500.bench;

import aQute.bnd.osgi.repository.SimpleIndexer;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * A fleet on one machine: N gateways (the production jar, each its own process and home) follow one repository (the
 * JDK's HTTP server with ETags; indexes made by bnd's indexer, signed by openssl). Release 2 adds the third-party
 * JSON-lines sink as a feature: every gateway installs it. Release 3 is a build of that sink that never registers:
 * every gateway's health gate fails and every gateway rolls back to release 2. Prints when each gateway got there
 * and what the repository served.
 *
 * <p>Run after {@code ./mvnw install}, from the checkout: {@code java -cp pm500.bench/target/benchmarks.jar
 * io.pm500.bench.FleetRollout [gateways]} (default 20; each gateway takes ~150 MB and a few CPU seconds to start).
 */
public final class FleetRollout {
    private static final long TIMEOUT_MS = 300_000;

    private final AtomicInteger indexRequests = new AtomicInteger();
    private final AtomicInteger notModified = new AtomicInteger();
    private final AtomicLong bytesServed = new AtomicLong();

    private FleetRollout() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        new FleetRollout().run(count, Path.of(System.getProperty("pm500.root", ".")).toAbsolutePath());
    }

    private void run(int count, Path root) throws Exception {
        Path jar = root.resolve("pm500.runtime/target/gateway/pm500-gateway.jar");
        Path built = root.resolve("pm500.runtime/target/repository");
        Path sink;
        try (Stream<Path> jars = Files.list(root.resolve("examples/pm500.example.sink.jsonl/target"))) {
            sink = jars.filter(p -> p.getFileName().toString().matches("pm500\\.example\\.sink\\.jsonl-.*\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("build first: ./mvnw install"));
        }
        Path work = Files.createTempDirectory("pm500-fleet");
        Path channel = work.resolve("repo/stable");
        Files.createDirectories(channel.resolve("bundles"));
        exec(work, "openssl", "genpkey", "-algorithm", "ed25519", "-out", "fleet-key.pem");
        exec(work, "openssl", "pkey", "-in", "fleet-key.pem", "-pubout", "-out", "fleet-public.pem");
        try (Stream<Path> bundles = Files.list(built.resolve("bundles"))) {
            for (Path b : bundles.toList()) {
                Files.copy(b, channel.resolve("bundles").resolve(b.getFileName()));
            }
        }
        Files.copy(built.resolve("index.xml"), channel.resolve("index.xml"));
        long r1 = Long.parseLong(Files.readString(channel.resolve("index.xml")).replaceFirst("(?s).*?increment=\"(\\d+)\".*",
                "$1"));
        sign(channel, work);
        HttpServer server = serve(work.resolve("repo"));
        String fleet = "repositoryUrls=http://127.0.0.1:" + server.getAddress().getPort() + "/\nchannel=stable\n"
                + "pollIntervalSeconds=2\njitterSeconds=3\nhealthGateSeconds=20\npublicKeyFile="
                + work.resolve("fleet-public.pem") + "\n";

        List<Gateway> gateways = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 1; i <= count; i++) {
                gateways.add(Gateway.start(work.resolve("gw-" + i), jar, root, fleet));
            }
            awaitAll(gateways, "Fleet: release " + r1 + " ", "changes nothing", "release 1 (the build's) checked");
            System.out.printf("%d gateways up and on release 1 after %d s%n", count, seconds(t0));

            Files.copy(sink, channel.resolve("bundles").resolve("jsonl-sink-1.jar"));
            long r2 = publish(channel, work, r1 + 1);
            long rollout = System.nanoTime();
            for (Gateway g : gateways) {
                g.features(fleet + "features=pm500.example.sink.jsonl\n");
            }
            List<Long> applied = awaitAll(gateways, "Fleet: release " + r2 + " ", "applied and healthy",
                    "release 2 (a new sink) rolled out");
            report("release 2 rolled out (sink installed and healthy)", rollout, applied);

            Files.write(channel.resolve("bundles").resolve("jsonl-sink-broken.jar"), broken(sink));
            long r3 = publish(channel, work, r2 + 1);
            long rollback = System.nanoTime();
            List<Long> back = awaitAll(gateways, "Fleet: rolled back to release " + r2, "healthy again",
                    "release 3 (a sink that never comes up) rolled back");
            report("release 3 rolled back to release 2 by every gateway's health gate", rollback, back);
            long failed = gateways.stream().filter(g -> g.saw("Fleet: release " + r3 + " rolled back: its health"
                    + " gate failed")).count();
            System.out.printf("gateways whose gate failed release 3: %d of %d%n", failed, count);
            System.out.printf("repository: %d index requests (%d answered 304), %.1f MB served in %d s%n",
                    indexRequests.get(), notModified.get(), bytesServed.get() / 1e6, seconds(t0));
        } finally {
            gateways.forEach(g -> g.process().destroy()); // all at once: each takes a few seconds to stop
            gateways.forEach(Gateway::stop);
            server.stop(0);
        }
    }

    private static void report(String what, long since, List<Long> doneAt) {
        List<Long> s = doneAt.stream().map(t -> (t - since) / 1_000_000).sorted().toList();
        System.out.printf("%s: first %.1f s, median %.1f s, last %.1f s after publishing%n", what, s.get(0) / 1e3,
                s.get(s.size() / 2) / 1e3, s.get(s.size() - 1) / 1e3);
    }

    /** Waits until every gateway printed a line holding both texts; the nanoTime each did. */
    private static List<Long> awaitAll(List<Gateway> gateways, String text, String and, String what)
            throws Exception {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        long[] at = new long[gateways.size()];
        while (true) {
            int done = 0;
            for (int i = 0; i < gateways.size(); i++) {
                if (at[i] == 0 && gateways.get(i).saw(text, and)) {
                    at[i] = System.nanoTime();
                }
                done += at[i] == 0 ? 0 : 1;
            }
            if (done == gateways.size()) {
                List<Long> out = new ArrayList<>();
                for (long t : at) {
                    out.add(t);
                }
                return out;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(what + ": " + done + " of " + gateways.size() + " gateways");
            }
            Thread.sleep(200);
        }
    }

    private static long seconds(long since) {
        return (System.nanoTime() - since) / 1_000_000_000;
    }

    private static long publish(Path channel, Path work, long increment) throws Exception {
        List<File> files;
        try (Stream<Path> jars = Files.list(channel.resolve("bundles"))) {
            files = jars.map(Path::toFile).toList();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SimpleIndexer().files(files).base(channel.toUri()).name("pm500 release " + increment)
                .increment(increment).index(out);
        Path tmp = channel.resolve("index.xml.tmp");
        Files.write(tmp, out.toByteArray());
        Files.move(tmp, channel.resolve("index.xml"), StandardCopyOption.ATOMIC_MOVE);
        sign(channel, work);
        return increment;
    }

    private static void sign(Path channel, Path work) throws Exception {
        exec(channel, "openssl", "pkeyutl", "-sign", "-inkey", work.resolve("fleet-key.pem").toString(), "-rawin",
                "-in", "index.xml", "-out", "index.xml.sig");
    }

    /** The sink under a higher version without its component descriptions: it starts, its sink never registers. */
    private static byte[] broken(Path jar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", "9.0.0");
            manifest.getMainAttributes().remove(new Attributes.Name("Service-Component"));
            try (JarOutputStream jos = new JarOutputStream(out, manifest)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
                    if (!(e.getName().startsWith("OSGI-INF/") && e.getName().endsWith(".xml"))) {
                        jos.putNextEntry(new JarEntry(e.getName()));
                        in.transferTo(jos);
                        jos.closeEntry();
                    }
                }
            }
        }
        return out.toByteArray();
    }

    private HttpServer serve(Path root) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "repository");
            t.setDaemon(true); // the program ends when main does
            return t;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                Path file = root.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
                if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] body = Files.readAllBytes(file);
                String etag;
                try {
                    etag = "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)) + "\"";
                } catch (NoSuchAlgorithmException e) {
                    throw new IOException(e);
                }
                if (file.getFileName().toString().equals("index.xml")) {
                    indexRequests.incrementAndGet();
                    if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                        notModified.incrementAndGet();
                        exchange.sendResponseHeaders(304, -1);
                        return;
                    }
                }
                exchange.getResponseHeaders().set("ETag", etag);
                exchange.sendResponseHeaders(200, body.length);
                bytesServed.addAndGet(body.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(body);
                }
            }
        });
        server.start();
        return server;
    }

    private static void exec(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + ": " + output);
        }
    }

    /** One gateway process in its own home, small heap, C1 only: twenty share two cores. */
    private record Gateway(Path home, Process process) {
        static Gateway start(Path home, Path jar, Path root, String fleet) throws IOException {
            Path conf = home.resolve("conf");
            Files.createDirectories(conf);
            Files.copy(root.resolve("pm500.runtime/target/gateway/conf/logback.xml"), conf.resolve("logback.xml"));
            Files.writeString(conf.resolve("pm500.route-lines.cfg"), "sinkName=lines\n");
            Files.writeString(conf.resolve("pm500.example.sink.jsonl-lines.cfg"), "sink.name=lines\nfile="
                    + home.resolve("lines.jsonl") + "\n");
            Files.writeString(conf.resolve("pm500.fleet.cfg"), fleet);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.osgi.service.http.port=" + port,
                    "-jar", jar.toString()).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(home.resolve("out.txt").toFile()).start();
            return new Gateway(home, p);
        }

        void features(String fleet) throws IOException {
            Files.writeString(home.resolve("conf/pm500.fleet.cfg"), fleet);
        }

        boolean saw(String text, String... and) {
            try {
                for (String line : Files.readAllLines(home.resolve("out.txt"))) {
                    if (line.contains(text) && Stream.of(and).allMatch(line::contains)) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        }

        void stop() {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
