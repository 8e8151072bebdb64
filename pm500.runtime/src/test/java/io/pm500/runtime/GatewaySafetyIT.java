package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pm500.demo.TestCertificates;
import io.pm500.kit.tls.PemTls;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, the exported gateway run as a process: a bad configuration disables only itself and says what to fix
 * (also after a restart); the console keeps its password out of the log, seals secrets at rest, refuses forged and
 * read-only changes, audits who changed what, restarts under its launcher, serves HTTPS, and says when its port is
 * taken.
 */
class GatewaySafetyIT {
    private static final Pattern STARTED = Pattern.compile("(PM500 gateway \\S+ started)");
    private static final Pattern PASSWORD = Pattern.compile("generated password for user 'admin': (\\S+)");
    private static final Pattern CONSOLE = GatewayProcess.CONSOLE;
    private static final Duration START = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private GatewayProcess gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws InterruptedException {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aBadConfigurationDisablesOnlyItselfAndSaysWhatToFixAlsoAfterARestart() throws Exception {
        gateway = new GatewayProcess(home);
        gateway.deployTestkit();
        Path received = home.resolve("received.txt");
        write("pm500.testkit.feeder-good", "meterId=good\nperiodMillis=200\nackFile=" + home.resolve("acks.txt")
                + "\n");
        write("pm500.testkit.sink-rec", "sink.name=rec\nfile=" + received + "\n");
        write("pm500.asset-good", "meterId=good\nasset=press-1\nsite=plant\n");
        write("pm500.asset-bad7", "meterId=bad-7\nctRatio=abc\n");
        write("pm500.driver.modbus-m1", "meterId=m1\nhost=127.0.0.1\nport=abc\n");
        write("pm500.driver.modbus-m2", "meterId=m2\nhost=127.0.0.1\nport=9\nblockInterval=status=1000\n"
                + "timeoutMilis=300\nblockIntervals=info=0, status=1000\n");
        write("pm500.route-x", "sinkName=x\nbatchSize=many\n");

        for (int start = 1; start <= 2; start++) {
            int port = GatewayProcess.freePort();
            gateway.launch(port);
            gateway.await(STARTED, START);
            long before = lines(received);
            awaitGrowth(received, before + 20);
            List<String> out = gateway.output();
            assertThat(out).as("start %d", start)
                    .anyMatch(l -> l.contains("ERROR") && l.contains("configuration pm500.asset~bad7"
                            + " (conf/pm500.asset-bad7.cfg) refused: ctRatio = 'abc' is not a number"))
                    .anyMatch(l -> l.contains("ERROR") && l.contains("configuration pm500.driver.modbus~m1"
                            + " (conf/pm500.driver.modbus-m1.cfg) refused: port = 'abc' is not a whole number"
                            + " (default 502). Fix the value in its file or the Web Console"))
                    .anyMatch(l -> l.contains("ERROR") && l.contains("configuration pm500.route~x")
                            && l.contains("batchSize = 'many' is not a whole number"))
                    .anyMatch(l -> l.contains("WARN") && l.contains("configuration pm500.driver.modbus~m2"
                            + " (conf/pm500.driver.modbus-m2.cfg): key 'timeoutMilis' is not a setting and is"
                            + " ignored; did you mean 'timeoutMillis'?"))
                    .anyMatch(l -> l.contains("key 'blockInterval' is not a setting")
                            && l.contains("did you mean 'blockIntervals'?"))
                    .anyMatch(l -> l.contains("Modbus meter m2: polling 127.0.0.1:9 unit 1 ([info=0ms,"
                            + " status=1000ms])"))
                    .noneMatch(l -> l.contains("NumberFormatException") || l.contains("ConversionException")
                            || l.contains("Invalid JSON"));
            // the refused meter and asset, as the operator view and /health show them
            JsonNode health = JSON.readTree(awaitBody("http://127.0.0.1:" + port + "/health?tags=system", 503,
                    "pm500.asset~bad7", Duration.ofSeconds(20)));
            assertThat(health.findValuesAsText("message"))
                    .anyMatch(m -> m.contains("component pm500.driver.modbus (pm500.driver.modbus~m1) is not active:"
                            + " configuration pm500.driver.modbus~m1 (conf/pm500.driver.modbus-m1.cfg) refused:"
                            + " port = 'abc'"))
                    .anyMatch(m -> m.contains("component pm500.asset (pm500.asset~bad7) is not active: configuration"
                            + " pm500.asset~bad7 (conf/pm500.asset-bad7.cfg) refused: ctRatio = 'abc' is not a number"))
                    .noneMatch(m -> m.contains("pm500.driver.modbus~m2"));
            gateway.process().destroy();
            assertThat(gateway.process().waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** The body of the first answer with this status that contains {@code text}. */
    private String awaitBody(String url, int status, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> r;
        do {
            r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == status && r.body().contains(text)) {
                return r.body();
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(url + " did not answer " + status + " with '" + text + "' within " + timeout
                + "; it answers " + r.statusCode() + ": " + r.body());
    }

    @Test
    void theConsoleKeepsItsSecretsRefusesForgedAndReadOnlyChangesAndAuditsWhoChangedWhat() throws Exception {
        gateway = GatewayProcess.demo(home); // its simulator bundle is the one stopped and started
        write("pm500.sink.influx-hist", "sink.name=hist\nurl=http://127.0.0.1:9\nbucket=b\n"
                + ".token=s3cret-token-value\n");
        // a meter and its asset: their factories take configurations straight from Config Admin, their forms are
        // the drivers' and the pipeline's metatype
        write("pm500.driver.modbus-press", "meterId=press\nhost=127.0.0.1\nport=9\n");
        write("pm500.asset-press", "meterId=press\nsite=plant\narea=hall\nasset=press-1\n");
        int port = GatewayProcess.freePort();
        gateway.launch(port);
        String password = gateway.await(PASSWORD, START);
        String console = gateway.await(CONSOLE, START);
        String origin = "http://127.0.0.1:" + port;
        gateway.await(Pattern.compile("(Started influx 'hist')"), START);

        // the generated password: on the terminal only, never in a log file
        Path log = home.resolve("logs/pm500.log");
        assertThat(Files.readString(log)).doesNotContain(password)
                .contains("printed on the terminal only (standard output, not the log); its hash is stored in");
        // owner-only data/ and logs/; the token typed into a configuration is sealed at rest
        assertThat(mode(home.resolve("data"))).isEqualTo("rwx------");
        assertThat(mode(home.resolve("logs"))).isEqualTo("rwx------");
        assertThat(mode(home.resolve("data/secrets.key"))).isEqualTo("rw-------");
        String stored;
        try (var files = Files.list(home.resolve("data/config/pm500/sink"))) {
            stored = Files.readString(files.filter(f -> f.getFileName().toString().endsWith("hist.config"))
                    .findFirst().orElseThrow());
        }
        assertThat(stored).doesNotContain("s3cret-token-value").contains(".token=\"pm500-sealed:v1:");

        // the Configurator's defaults apply (a JSON-P implementation is there)
        JsonNode manager = JSON.readTree(get(console + "/configMgr/org.apache.felix.webconsole.internal.servlet"
                + ".OsgiManager.json", "admin:" + password).body()).get(0).get("properties");
        assertThat(manager.get("realm").get("value").asText()).isEqualTo("PM500 Gateway");
        assertThat(manager.get("category").get("value").asText()).isEqualTo("PM500");

        String bundle = console + "/bundles/pm500.simulator";
        String admin = "admin:" + password;
        assertThat(get(console + "/configMgr", admin).body()).as("factory configurations listed by name, not pid")
                .contains("InfluxDB sink hist → http:\\/\\/127.0.0.1:9")
                .contains("Modbus meter press @ 127.0.0.1:9")
                .contains("Asset of meter press: plant\\/hall\\/press-1");
        assertThat(post(bundle, admin, null, "action=stop").statusCode()).as("no Origin or Referer").isEqualTo(403);
        assertThat(post(bundle, admin, "null", "action=stop").statusCode()).as("Origin: null").isEqualTo(403);
        assertThat(post(bundle, admin, "http://127.0.0.1:1", "action=stop").statusCode()).as("another origin")
                .isEqualTo(403);
        HttpResponse<String> update = post(bundle, admin, origin, "action=update");
        assertThat(update.statusCode()).isEqualTo(400);
        assertThat(update.body()).contains("Drop the new jar into the gateway's deploy/ folder");
        assertThat(post(bundle, admin, origin, "action=stop").statusCode()).isEqualTo(200);
        assertThat(post(bundle, admin, origin, "action=start").statusCode()).isEqualTo(200);
        assertThat(get(console + "/bundles", "admin:wrong-password").statusCode()).isEqualTo(401);

        // the administrator gives the viewer a password in the console's form
        String viewerPassword = "viewer-pass-" + System.nanoTime();
        HttpResponse<String> saved = post(console + "/configMgr/pm500.console", admin, origin,
                "apply=true&action=ajaxConfigManager&propertylist=username,.password,viewerUsername,.viewerPassword"
                        + "&username=admin&.password=&viewerUsername=viewer&.viewerPassword="
                        + URLEncoder.encode(viewerPassword, StandardCharsets.UTF_8));
        assertThat(saved.statusCode()).as("console answer: %s", saved.body()).isIn(200, 302);
        String viewer = "viewer:" + viewerPassword;
        awaitStatus(console + "/bundles", viewer, 200);
        HttpResponse<String> refused = post(bundle, viewer, origin, "action=stop");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("'viewer' is a read-only viewer account");
        assertThat(Files.readString(home.resolve("data/config/pm500/console.config"), StandardCharsets.UTF_8))
                .as("the viewer's password, hashed and then removed from the configuration")
                .doesNotContain(viewerPassword);

        Path audit = home.resolve("logs/audit.log");
        assertThat(mode(audit)).isEqualTo("rw-------");
        List<JsonNode> events = awaitAudit(audit, 8);
        assertThat(Files.readString(audit)).doesNotContain(viewerPassword).doesNotContain(password)
                .doesNotContain("s3cret");
        assertThat(events).anySatisfy(e -> event(e, "admin", "login", "console"))
                .anySatisfy(e -> event(e, "admin", "login.failed", "console"))
                .anySatisfy(e -> event(e, "admin", "refused.bundle.update", "/system/console/bundles/pm500.simulator"))
                .anySatisfy(e -> event(e, "admin", "bundle.stop", "pm500.simulator 0.1.0"))
                .anySatisfy(e -> event(e, "admin", "bundle.start", "pm500.simulator 0.1.0"))
                .anySatisfy(e -> event(e, "admin", "password.change", "viewer"))
                .anySatisfy(e -> {
                    event(e, "admin", "configuration.", "pm500.console");
                    assertThat(e.get("changes").toString()).contains("\"viewerUsername\":[null,\"viewer\"]");
                })
                .anySatisfy(e -> event(e, "viewer", "refused.read-only", "/system/console/bundles/pm500.simulator"))
                .allSatisfy(e -> assertThat(e.get("time").asText()).matches("2\\d{3}-.*Z"));
    }

    @Test
    void restartInTheConsoleStartsTheGatewayAgainUnderItsLauncher() throws Exception {
        gateway = new GatewayProcess(home);
        int port = GatewayProcess.freePort();
        gateway.launchScript(port);
        String password = gateway.await(PASSWORD, START);
        String console = gateway.await(CONSOLE, START);
        ProcessHandle java = gateway.process().descendants().findFirst().orElseThrow();
        long firstJava = java.pid();
        // the launcher's memory settings, the native-heap trim when this Java has it (17.0.9 and later)
        List<String> arguments = List.of(java.info().arguments().orElseThrow());
        assertThat(arguments).contains("-XX:+UseSerialGC", "-XX:MinHeapFreeRatio=30", "-XX:MaxHeapFreeRatio=50");
        // no performance-data file sampled every 50 ms (HotSpot keeps it in /tmp whatever java.io.tmpdir says), and
        // jcmd still reaches the gateway
        assertThat(Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"), Long.toString(firstJava)))
                .doesNotExist();
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(firstJava), "VM.uptime").redirectErrorStream(true).start();
        String uptime = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jcmd.waitFor()).as("jcmd VM.uptime: %s", uptime).isZero();
        assertThat(uptime).containsPattern("\\d+\\.\\d+ s");
        boolean trims = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=5000", "-version")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        assertThat(arguments.contains("-XX:TrimNativeHeapInterval=5000")).as("trims the native heap: %s", arguments)
                .isEqualTo(trims);
        HttpResponse<String> restart = post(console + "/vmstat", "admin:" + password, "http://127.0.0.1:" + port,
                "action=restart");
        assertThat(restart.statusCode()).isIn(200, 302);
        long deadline = System.nanoTime() + START.toNanos();
        while (gateway.output().stream().filter(l -> STARTED.matcher(l).find()).count() < 2
                && System.nanoTime() < deadline) {
            assertThat(gateway.process().isAlive()).as("launcher still running: %s", gateway.output()).isTrue();
            Thread.sleep(100);
        }
        assertThat(gateway.output()).anyMatch(l -> l.contains("Restart requested in the Web Console by 'admin'"))
                .anyMatch(l -> l.contains("pm500-gateway: restart requested in the Web Console; starting again"))
                .filteredOn(l -> STARTED.matcher(l).find()).hasSize(2);
        assertThat(gateway.process().descendants().findFirst().orElseThrow().pid()).as("a new JVM")
                .isNotEqualTo(firstJava);
        awaitStatus(console + "/bundles", "admin:" + password, 200);
        assertThat(Files.readString(home.resolve("logs/audit.log"))).contains("\"action\":\"gateway.restart\"");
    }

    @Test
    void aTakenConsolePortIsNamedWithTheFixAndEverythingElseRuns() throws Exception {
        gateway = new GatewayProcess(home);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            gateway.launch(taken.getLocalPort());
            gateway.await(STARTED, START);
            String why = gateway.await(Pattern.compile("ERROR .*Web Console: not available: (.*)"), START);
            assertThat(why).startsWith("port " + taken.getLocalPort() + " on 127.0.0.1 is in use by another program;"
                    + " stop it, or give the gateway another port: java -Dorg.osgi.service.http.port=<port>")
                    .contains("./pm500 demo --console-port <port>");
        }
    }

    @Test
    void theConsoleIsServedOverHttpsFromAPemCertificateAndKey() throws Exception {
        gateway = new GatewayProcess(home);
        TestCertificates pki = TestCertificates.create(home.resolve("pki"), "PM500 test CA");
        Path[] server = pki.serverPem();
        int httpPort = GatewayProcess.freePort();
        int httpsPort = GatewayProcess.freePort();
        write("pm500.console.https", "port=" + httpsPort + "\ncertFile=" + server[0] + "\nkeyFile=" + server[1]
                + "\n");
        gateway.launch(httpPort);
        String password = gateway.await(PASSWORD, START);
        gateway.await(Pattern.compile("(Web Console over HTTPS: https://127\\.0\\.0\\.1:" + httpsPort
                + "/system/console)"), START);
        HttpClient tls = HttpClient.newBuilder().sslContext(PemTls.context("test", pki.caPem(), null, null)).build();
        String console = "https://127.0.0.1:" + httpsPort + "/system/console";
        long deadline = System.nanoTime() + START.toNanos();
        HttpResponse<String> ok = null;
        while (System.nanoTime() < deadline) { // Jetty restarts with the HTTPS settings
            try {
                ok = tls.send(request(console + "/bundles", "admin:" + password).build(),
                        HttpResponse.BodyHandlers.ofString());
                break;
            } catch (ConnectException e) {
                Thread.sleep(200);
            }
        }
        assertThat(ok).as("HTTPS answered").isNotNull();
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(tls.send(request(console + "/bundles", null).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(401);
        assertThat(mode(home.resolve("data/console/https.p12"))).isEqualTo("rw-------");
        boolean plainRefused;
        try {
            http.send(request("http://127.0.0.1:" + httpPort + "/system/console/bundles", null).build(),
                    HttpResponse.BodyHandlers.ofString());
            plainRefused = false;
        } catch (IOException e) {
            plainRefused = true;
        }
        assertThat(plainRefused).as("plain HTTP is off").isTrue();
    }

    // ---- fixtures ----

    private void write(String pid, String content) throws IOException {
        Files.writeString(home.resolve("conf").resolve(pid + ".cfg"), content);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var s = Files.lines(file)) {
            return s.filter(l -> l.contains(" good ")).count();
        }
    }

    private void awaitGrowth(Path file, long lines) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        while (lines(file) < lines) {
            assertThat(System.nanoTime() < deadline).as("readings of meter 'good' in %s; output:%n%s", file,
                    String.join("\n", gateway.output())).isTrue();
            Thread.sleep(100);
        }
    }

    private static void event(JsonNode e, String user, String action, String target) {
        assertThat(e.get("user").asText()).isEqualTo(user);
        assertThat(e.get("action").asText()).startsWith(action);
        assertThat(e.get("target").asText()).startsWith(target);
        assertThat(e.get("address").asText()).isEqualTo("127.0.0.1");
    }

    private static List<JsonNode> awaitAudit(Path audit, int atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> lines;
        do {
            lines = Files.readAllLines(audit);
            Thread.sleep(100);
        } while (lines.size() < atLeast && System.nanoTime() < deadline);
        return lines.stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new AssertionError("not a JSON line: " + l, e);
            }
        }).toList();
    }

    private void awaitStatus(String url, String credentials, int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int last = -1;
        while (System.nanoTime() < deadline) {
            try {
                last = get(url, credentials).statusCode();
                if (last == status) {
                    return;
                }
            } catch (IOException e) {
                last = -1; // restarting
            }
            Thread.sleep(200);
        }
        throw new AssertionError(url + " answered " + last + ", not " + status);
    }

    private static HttpRequest.Builder request(String url, String credentials) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (credentials != null) {
            r.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return r;
    }

    private HttpResponse<String> get(String url, String credentials) throws IOException, InterruptedException {
        return http.send(request(url, credentials).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String credentials, String origin, String form)
            throws IOException, InterruptedException {
        HttpRequest.Builder r = request(url, credentials).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) {
            r.header("Origin", origin);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
