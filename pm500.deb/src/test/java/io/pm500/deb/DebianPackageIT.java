package io.pm500.deb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.pm500.profile.DeviceProfiles;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.InfluxDbProcess;
import io.pm500.testkit.process.KnownRegisters;
import io.pm500.testkit.process.PyModbusPeer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package as Debian's own tools see it (dpkg-deb, lintian, systemd-analyze), and its life on a machine:
 * {@code dpkg -i}, the gateway started as the unit starts it (its user, umask, environment and command line), the
 * console closed until {@code pm500 set-password}, an upgrade that keeps configuration, outboxes and the password,
 * readings queued before the upgrade delivered to a real InfluxDB after it, and a purge that leaves nothing. The
 * machine part needs root (CI runs as root); elsewhere it is skipped and says so.
 */
@Tag("slow")
class DebianPackageIT {
    private static final Path TARGET = Path.of("target");
    private static final Path DATA = Path.of("/var/lib/pm500");
    private static final Path LOGS = Path.of("/var/log/pm500");
    private static final Path CONF = Path.of("/etc/pm500");
    private static final Path DEFAULTS = Path.of("/etc/default/pm500");
    private static final Path UNIT = Path.of("/lib/systemd/system/pm500.service");
    private static final Pattern STARTED = Pattern.compile("PM500 gateway \\S+ started");
    private static final String FIRST_PASSWORD = "Quarter-Past-Seven-1420";
    private static final String PASSWORD = "Half-Past-Eight-1420";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path deb;
    private static Path extracted;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findThePackage(@TempDir Path dir) throws Exception {
        try (Stream<Path> files = Files.list(TARGET)) {
            deb = files.filter(p -> p.getFileName().toString().matches("pm500_.*_all\\.deb"))
                    .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified()))
                    .orElseThrow(() -> new AssertionError("no pm500_*_all.deb in target/: the package phase makes it"));
        }
        extracted = dir.resolve("root");
        assertThat(run(Duration.ofSeconds(60), null, "dpkg-deb", "-x", deb.toString(), extracted.toString()).exit())
                .isZero();
    }

    @Test
    void holdsTheGatewayItsServiceAndItsConffiles() throws Exception {
        Result info = run(Duration.ofSeconds(30), null, "dpkg-deb", "-I", deb.toString());
        assertThat(info.exit()).isZero();
        assertThat(info.output()).contains(" Package: pm500", " Architecture: all",
                " Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, adduser",
                "conffiles", "postinst", "prerm", "postrm");
        assertThat(run(Duration.ofSeconds(30), null, "dpkg-deb", "-f", deb.toString(), "Version").output().strip())
                .as("a snapshot's version sorts by build time").matches("0\\.1\\.0~\\d{14}");
        Path control = tmp.resolve("control");
        assertThat(run(Duration.ofSeconds(30), null, "dpkg-deb", "-e", deb.toString(), control.toString()).exit())
                .isZero();
        assertThat(Files.readAllLines(control.resolve("conffiles")))
                .containsExactlyInAnyOrder("/etc/pm500/logback.xml", "/etc/default/pm500");

        Result contents = run(Duration.ofSeconds(30), null, "dpkg-deb", "-c", deb.toString());
        Map<String, String> entries = new TreeMap<>();
        for (String line : contents.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6) {
                entries.put(f[5].substring(1), f[0] + " " + f[1]);
            }
        }
        assertThat(entries).containsEntry("/opt/pm500/pm500-gateway.jar", "-rw-r--r-- root/root")
                .containsEntry("/opt/pm500/pm500-gateway", "-rwxr-xr-x root/root")
                .containsEntry("/opt/pm500/bin/pm500", "-rwxr-xr-x root/root")
                .containsEntry("/opt/pm500/lib/pm500.runtime.jar", "-rw-r--r-- root/root")
                .containsEntry("/lib/systemd/system/pm500.service", "-rw-r--r-- root/root")
                .containsEntry("/etc/pm500/logback.xml", "-rw-r--r-- root/root")
                .containsEntry("/usr/share/doc/pm500/copyright", "-rw-r--r-- root/root")
                .containsEntry("/usr/share/man/man8/pm500.8.gz", "-rw-r--r-- root/root")
                .containsKey("/usr/sbin/pm500");
        assertThat(entries.keySet()).as("state and logs are made on the machine, never shipped")
                .noneMatch(p -> p.startsWith("/var/"));
        assertThat(entries.values()).as("every file root's").allMatch(v -> v.endsWith("root/root"));
        try (JarFile jar = new JarFile(extracted.resolve("opt/pm500/pm500-gateway.jar").toFile())) {
            assertThat(jar.stream().map(JarEntry::getName))
                    .as("the production gateway: no simulator in what a plant installs")
                    .noneMatch(n -> n.contains("pm500.simulator"));
        }
    }

    @Test
    void lintianFindsNothing() throws Exception {
        Result lintian = run(Duration.ofMinutes(3), null, "lintian", "--fail-on", "error,warning", "--info",
                deb.toString());
        System.out.println("lintian " + deb.getFileName() + ": " + (lintian.output().isBlank() ? "no tags"
                : "\n" + lintian.output()));
        assertThat(lintian.exit()).as("lintian errors or warnings:%n%s", lintian.output()).isZero();
    }

    @Test
    void theUnitIsHardenedAndRunsAsItsOwnUser() throws Exception {
        Path unit = extracted.resolve(UNIT.toString().substring(1));
        ServiceUnit service = ServiceUnit.read(unit);
        assertThat(service.get("User")).isEqualTo("pm500");
        assertThat(service.get("ProtectSystem")).isEqualTo("strict");
        assertThat(service.get("ReadWritePaths")).isEqualTo("/var/lib/pm500 /var/log/pm500");
        assertThat(service.get("NoNewPrivileges")).isEqualTo("yes");
        assertThat(service.get("Restart")).isEqualTo("on-failure");
        assertThat(service.get("TimeoutStopSec")).as("the gateway stops its bundles within 10 s").isEqualTo("20s");
        assertThat(service.get("ExecStart")).contains("-Dpm500.console.generatePassword=false");

        Result security = run(Duration.ofMinutes(1), null, "systemd-analyze", "security", "--offline=yes",
                unit.toString());
        Matcher m = Pattern.compile("Overall exposure level for pm500.service: ([0-9.]+) (\\w+)")
                .matcher(security.output());
        assertThat(m.find()).as("systemd-analyze security:%n%s", security.output()).isTrue();
        System.out.printf("systemd-analyze security pm500.service: %s %s%n", m.group(1), m.group(2));
        assertThat(Double.parseDouble(m.group(1))).as("exposure (0 safest, 10 unprotected)").isLessThanOrEqualTo(2.0);
    }

    @Test
    void installsRunsAsItsUserUpgradesKeepingEverythingAndPurgesToNothing() throws Exception {
        if (!"0".equals(run(Duration.ofSeconds(10), null, "id", "-u").output().strip())) {
            System.out.println("DebianPackageIT: not root, so the package is not installed on this machine");
            Assumptions.abort("installing a package needs root");
        }
        String installed = run(Duration.ofSeconds(30), null, "dpkg-query", "-W", "-f", "${Status} ${Version}",
                "pm500").output();
        if (installed.contains("installed") && !installed.matches("(?s).*installed 0\\.1\\.0~\\d{14}.*")) {
            fail("a pm500 package this build did not make is installed here (" + installed + "); not replacing it");
        }
        run(Duration.ofMinutes(2), null, "dpkg", "--purge", "pm500");

        KnownRegisters known = KnownRegisters.of(DeviceProfiles.builtIn("pm500").modbus());
        try (PyModbusPeer meter = new PyModbusPeer(known.registers(), List.of(PyModbusPeer.Server.normal("m")))) {
            InfluxDbProcess influx = InfluxDbProcess.start();
            try {
                influx.query(null, "CREATE DATABASE pm500");
                influx.kill(); // down: readings wait in the outbox, through the upgrade
                lifeCycle(meter.port("m"), influx);
            } finally {
                influx.close();
            }
        } finally {
            run(Duration.ofMinutes(2), null, "dpkg", "--purge", "pm500");
        }
    }

    private void lifeCycle(int meterPort, InfluxDbProcess influx) throws Exception {
        Result install = run(Duration.ofMinutes(2), null, "dpkg", "-i", deb.toString());
        assertThat(install.exit()).as("dpkg -i:%n%s", install.output()).isZero();
        assertThat(install.output()).contains("Set it with: sudo pm500 set-password");
        assertThat(run(Duration.ofSeconds(10), null, "getent", "passwd", "pm500").output())
                .contains(":/var/lib/pm500:/usr/sbin/nologin");
        assertOwned(DATA, "pm500", "rwx------");
        assertOwned(LOGS, "pm500", "rwx------");
        assertOwned(CONF, "root", "rwxr-x---");
        assertOwned(DEFAULTS, "root", "rw-r-----");
        Result verify = run(Duration.ofMinutes(1), null, "systemd-analyze", "verify", UNIT.toString());
        assertThat(verify.exit()).as("systemd-analyze verify:%n%s", verify.output()).isZero();
        assertThat(verify.output()).isBlank();

        // configured as a plant would: the console port in /etc/default/pm500 (a conffile), files in /etc/pm500
        int consolePort = freePort();
        Files.writeString(DEFAULTS, Files.readString(DEFAULTS).replace("http.port=8080", "http.port=" + consolePort));
        Files.writeString(CONF.resolve("pm500.driver.modbus-deb.cfg"),
                "meterId=deb-meter\nhost=127.0.0.1\nport=" + meterPort + "\n");
        Files.writeString(CONF.resolve("pm500.asset-deb.cfg"), "meterId=deb-meter\nsite=plant\narea=line1\n");
        Files.writeString(CONF.resolve("pm500.sink.influx-historian.cfg"), "sink.name=historian\napi=v1\nurl="
                + influx.url() + "\ndatabase=pm500\nmeterTag=true\ntimeoutSeconds=2\n");
        Files.writeString(CONF.resolve("pm500.route-historian.cfg"), "sinkName=historian\n");
        String console = "http://127.0.0.1:" + consolePort + "/system/console/bundles";

        Instant stopped;
        Map<String, String> before;
        Path outbox = DATA.resolve("pipeline/outboxes/historian");
        try (Gateway gateway = Gateway.start(tmp.resolve("first.out"))) {
            HttpResponse<String> closed = get(console, null);
            assertThat(closed.statusCode()).isEqualTo(503);
            assertThat(closed.body()).contains("sudo pm500 set-password");

            Result set = run(Duration.ofMinutes(1), FIRST_PASSWORD + "\n", "/usr/sbin/pm500", "set-password",
                    "--stdin");
            assertThat(set.exit()).as("pm500 set-password:%n%s", set.output()).isZero();
            assertOwned(DATA.resolve("console/credentials"), "pm500", "rw-------");
            assertThat(get(console, FIRST_PASSWORD).statusCode()).as("the new password, no restart").isEqualTo(200);
            assertThat(get(console, FIRST_PASSWORD + "x").statusCode()).isEqualTo(401);
            // changed again: the logged-in browser's cached credentials end at once
            set = run(Duration.ofMinutes(1), PASSWORD + "\n", "/usr/sbin/pm500", "set-password", "--stdin");
            assertThat(set.exit()).as("pm500 set-password:%n%s", set.output()).isZero();
            assertThat(get(console, FIRST_PASSWORD).statusCode()).as("the replaced password").isEqualTo(401);
            assertThat(get(console, PASSWORD).statusCode()).isEqualTo(200);
            assertNowhere(FIRST_PASSWORD, gateway.output());
            assertThat(Files.readAllLines(LOGS.resolve("audit.log")).stream()
                    .filter(l -> l.contains("\"password.change\"")).count()).as("each new password audited once")
                    .isEqualTo(2);

            Await.until(Duration.ofSeconds(60), () -> "readings in " + outbox, () -> size(outbox) > 0);
            Thread.sleep(8_000); // some seconds of polls wait for the historian
            assertThat(LOGS.resolve("pm500.log")).exists();
            assertOwned(LOGS.resolve("pm500.log"), "pm500", "rw-r-----"); // UMask=0027
            stopped = Instant.now();
            gateway.stop();
            assertThat(gateway.output()).contains("PM500: stopped cleanly");
            before = snapshot(DATA);
            assertNowhere(PASSWORD, gateway.output());
        }
        assertThat(before).as("readings in the outbox").anySatisfy((file, hash) ->
                assertThat(file).startsWith("pipeline/outboxes/historian/"));

        // upgrade: the same files under a newer version, installed as a plant would (no options)
        Path next = repack("+next");
        Result upgrade = run(Duration.ofMinutes(2), null, "dpkg", "-i", next.toString());
        assertThat(upgrade.exit()).as("upgrade:%n%s", upgrade.output()).isZero();
        assertThat(run(Duration.ofSeconds(30), null, "dpkg-query", "-W", "-f", "${Version}", "pm500").output())
                .endsWith("+next");
        assertThat(snapshot(DATA)).as("state after the upgrade: outboxes, password hash, secrets key, configuration")
                .isEqualTo(before);
        assertThat(Files.readString(DEFAULTS)).as("an edited conffile is kept").contains("http.port=" + consolePort);
        assertThat(CONF.resolve("pm500.sink.influx-historian.cfg")).exists();

        influx.run();
        try (Gateway gateway = Gateway.start(tmp.resolve("second.out"))) {
            assertThat(get(console, PASSWORD).statusCode()).as("the password survives the upgrade").isEqualTo(200);
            List<Instant> times = new ArrayList<>();
            Await.until(Duration.ofSeconds(90), () -> times.size() + " acquisitions before the upgrade stored", () -> {
                times.clear();
                times.addAll(acquisitions(influx, stopped));
                return !times.isEmpty() && Duration.between(times.get(times.size() - 1), stopped).toMillis() < 3000;
            });
            for (int i = 1; i < times.size(); i++) {
                assertThat(Duration.between(times.get(i - 1), times.get(i))).as("gap before %s", times.get(i))
                        .isLessThanOrEqualTo(Duration.ofMillis(2500));
            }
            System.out.printf("Debian package upgrade: %d acquisitions over %d s queued before it, all delivered to"
                    + " InfluxDB after it, no gap%n", times.size(),
                    Duration.between(times.get(0), times.get(times.size() - 1)).toSeconds());
            gateway.stop();
            assertThat(gateway.output()).contains("PM500: stopped cleanly");
            assertNowhere(PASSWORD, gateway.output());
        }

        Result purge = run(Duration.ofMinutes(2), null, "dpkg", "--purge", "pm500");
        assertThat(purge.exit()).as("purge:%n%s", purge.output()).isZero();
        assertThat(purge.output()).doesNotContain("warning: while removing pm500, directory '/etc");
        for (Path gone : List.of(Path.of("/opt/pm500"), CONF, DEFAULTS, DATA, LOGS, UNIT, Path.of("/usr/sbin/pm500"),
                Path.of("/etc/systemd/system/multi-user.target.wants/pm500.service"))) {
            assertThat(gone).as("after purge").doesNotExist();
        }
        assertThat(run(Duration.ofSeconds(10), null, "getent", "passwd", "pm500").exit()).as("user gone").isEqualTo(2);
        assertThat(run(Duration.ofSeconds(10), null, "getent", "group", "pm500").exit()).as("group gone").isEqualTo(2);
    }

    /** The times of the readings InfluxDB holds that were acquired before {@code until}, in order. */
    private static List<Instant> acquisitions(InfluxDbProcess influx, Instant until) throws Exception {
        JsonNode answer = influx.query("pm500", "SELECT * FROM powermonitor_500 WHERE meter = 'deb-meter' AND time < '"
                + until + "'");
        List<Instant> times = new ArrayList<>();
        for (JsonNode row : answer.path("results").path(0).path("series").path(0).path("values")) {
            Instant t = Instant.parse(row.path(0).asText());
            if (times.isEmpty() || !times.get(times.size() - 1).equals(t)) {
                times.add(t);
            }
        }
        return times;
    }

    /** The package's files under another version, as dpkg-deb builds it: what an upgrade installs. */
    private Path repack(String suffix) throws Exception {
        Path dir = tmp.resolve("repack");
        assertThat(run(Duration.ofMinutes(1), null, "dpkg-deb", "-R", deb.toString(), dir.toString()).exit()).isZero();
        Path control = dir.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control).replaceFirst("(?m)^(Version: .*)$", "$1" + suffix));
        Path next = tmp.resolve("pm500-next.deb");
        Result build = run(Duration.ofMinutes(2), null, "dpkg-deb", "--root-owner-group", "-b", dir.toString(),
                next.toString());
        assertThat(build.exit()).as("dpkg-deb -b:%n%s", build.output()).isZero();
        return next;
    }

    private static HttpResponse<String> get(String url, String password) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (password != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertOwned(Path path, String owner, String mode) throws IOException {
        assertThat(Files.getOwner(path).getName()).as("owner of %s", path).isEqualTo(owner);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).as("mode of %s", path)
                .isEqualTo(mode);
    }

    /** The clear-text password is in no file the package or the gateway wrote, nor in the service's output. */
    private static void assertNowhere(String secret, String output) throws IOException {
        assertThat(output).doesNotContain(secret);
        for (Path root : List.of(DATA, LOGS, CONF)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as("%s", f)
                            .doesNotContain(secret);
                }
            }
        }
    }

    /** SHA-256 of every file under the directory by relative path (logs and the restart marker aside). */
    private static Map<String, String> snapshot(Path root) throws Exception {
        Map<String, String> hashes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                hashes.put(root.relativize(f).toString(), HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
            }
        }
        return hashes;
    }

    private static long size(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    record Result(int exit, String output) {
    }

    static Result run(Duration timeout, String stdin, String... command) throws Exception {
        File out = File.createTempFile("cmd", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not end within " + timeout);
            }
            return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
        } finally {
            out.delete();
        }
    }

    /** The gateway started as pm500.service starts it; stopped as systemd stops it (SIGTERM to every process). */
    private static final class Gateway implements AutoCloseable {
        private final Process process;
        private final Path output;

        private Gateway(Process process, Path output) {
            this.process = process;
            this.output = output;
        }

        static Gateway start(Path output) throws Exception {
            ServiceUnit unit = ServiceUnit.read(UNIT);
            Process p = unit.start().redirectErrorStream(true).redirectOutput(output.toFile()).start();
            Gateway gateway = new Gateway(p, output);
            try {
                Await.until(Duration.ofSeconds(90), () -> "gateway started; output:\n" + gateway.output(),
                        () -> {
                            assertThat(p.isAlive()).as("gateway running; output:%n%s", gateway.output()).isTrue();
                            return STARTED.matcher(gateway.output()).find();
                        });
            } catch (Throwable t) {
                gateway.close();
                throw t;
            }
            return gateway;
        }

        String output() {
            try {
                return Files.readString(output, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** SIGTERM to the launcher and the JVM at once, as systemd's KillMode=control-group does; waits for both. */
        void stop() throws Exception {
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            all.add(process.toHandle());
            all.forEach(ProcessHandle::destroy);
            for (ProcessHandle h : all) {
                h.onExit().get(20, TimeUnit.SECONDS); // TimeoutStopSec
            }
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
