package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the exported executable jar the way an operator does ({@code java -jar}) in a fresh working directory,
 * on an ephemeral loopback port: first start prints a generated password, the console demands it, SIGTERM
 * stops every bundle within 10 s.
 */
class GatewayJarIT {
    private static final Pattern PASSWORD = Pattern.compile("generated password for user 'admin': (\\S+)");
    private static final Pattern CONSOLE = GatewayProcess.CONSOLE;

    @TempDir
    Path home;
    private GatewayProcess gateway;
    private Process process;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        gateway = new GatewayProcess(home);
    }

    @AfterEach
    void stop() throws InterruptedException {
        gateway.close();
    }

    @Test
    void startsToAPasswordProtectedConsoleAndStopsCleanlyOnSigterm() throws Exception {
        int port = freePort();
        long t0 = System.nanoTime();
        launch(port);

        String password = await(PASSWORD, Duration.ofSeconds(60));
        String console = await(CONSOLE, Duration.ofSeconds(60));
        long startMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("gateway jar: start-up report after %d ms (first start, incl. password hashing)%n", startMs);

        assertThat(console).isEqualTo("http://127.0.0.1:" + port + "/system/console");
        assertThat(get(console + "/bundles", null).statusCode()).isEqualTo(401);
        assertThat(get(console + "/bundles", "admin:admin").statusCode()).isEqualTo(401);
        assertThat(get(console + "/bundles", "admin:" + password + "x").statusCode()).isEqualTo(401);
        HttpResponse<String> ok = get(console + "/bundles", "admin:" + password);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("pm500.runtime", "pm500.driver.modbus", "pm500.sink.influx")
                .as("the gateway a plant installs has no simulated meters").doesNotContain("pm500.simulator");

        for (int i = 0; i < 5; i++) {
            assertThat(get(console + "/bundles", "admin:guess" + i).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> throttled = get(console + "/bundles", "admin:" + password);
        assertThat(throttled.statusCode()).as("5 failed logins within a minute").isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).contains("60");

        String stored = Files.readString(home.resolve("data/console/credentials"));
        assertThat(stored).contains("pbkdf2-sha256$").doesNotContain(password);
        assertThat(home.resolve("deploy")).isDirectory();
        assertThat(home.resolve("logs/pm500.log")).isRegularFile();

        long t1 = System.nanoTime();
        process.destroy(); // SIGTERM
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        long stopMs = (System.nanoTime() - t1) / 1_000_000;
        System.out.printf("gateway jar: exited %d ms after SIGTERM%n", stopMs);
        assertThat(stopMs).isLessThan(10_000);
        assertThat(output()).anyMatch(l -> l.contains("PM500 gateway stopping"))
                .anyMatch(l -> l.contains("PM500: stopped cleanly"));
    }

    @Test
    void secondStartKeepsThePasswordAndDoesNotPrintIt() throws Exception {
        launch(freePort());
        String password = await(PASSWORD, Duration.ofSeconds(60));
        await(CONSOLE, Duration.ofSeconds(60));
        process.destroy();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();

        int port = freePort();
        launch(port);
        String console = await(CONSOLE, Duration.ofSeconds(60));
        assertThat(output()).noneMatch(l -> l.contains(password));
        assertThat(get(console + "/bundles", "admin:" + password).statusCode()).isEqualTo(200);
    }

    @Test
    void aConfigurationSavedInTheConsoleSurvivesARestart() throws Exception {
        launch(freePort());
        String password = await(PASSWORD, Duration.ofSeconds(60));
        String console = await(CONSOLE, Duration.ofSeconds(60));
        // what the console's configuration form posts when "Save" is pressed on the pipeline's form
        HttpResponse<String> saved = http.send(HttpRequest.newBuilder(URI.create(console + "/configMgr/pm500.pipeline"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + password)
                        .getBytes(StandardCharsets.UTF_8)))
                .header("Origin", console.substring(0, console.indexOf("/system")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("apply=true&action=ajaxConfigManager&propertylist="
                        + "staleFactor&staleFactor=7"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(saved.statusCode()).as("console answer: %s", saved.body()).isIn(200, 302);
        Path stored = home.resolve("data/config/pm500/pipeline.config");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(stored) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(stored).as("Config Admin's store in the gateway home").exists();
        assertThat(Files.readString(stored)).contains("staleFactor=I\"7\"");
        process.destroy();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();

        launch(freePort());
        console = await(CONSOLE, Duration.ofSeconds(60));
        HttpResponse<String> after = get(console + "/configMgr/pm500.pipeline.json", "admin:" + password);
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.body()).as("the pipeline's configuration after the restart").contains("\"staleFactor\"")
                .containsPattern("\"value\"\\s*:\\s*\"?7");
    }

    /**
     * Issue 18: a sink's .cfg deleted while the gateway was stopped still ran on the next starts (Config Admin keeps
     * it in data/config). Files in conf/ are the source of truth for what came from them.
     */
    @Test
    void aCfgDeletedWhileTheGatewayWasStoppedNoLongerRunsAfterTheNextStart() throws Exception {
        Path cfg = home.resolve("conf").resolve("pm500.sink.influx-gone.cfg");
        Files.writeString(cfg, "sink.name=gone\nurl=http://127.0.0.1:9\nbucket=b\n");
        launch(freePort());
        await(CONSOLE, Duration.ofSeconds(60));
        await(Pattern.compile("(Started influx 'gone')"), Duration.ofSeconds(30));
        process.destroy();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        Files.delete(cfg);

        launch(freePort());
        await(CONSOLE, Duration.ofSeconds(60));
        await(Pattern.compile("(Configuration pm500\\.sink\\.influx~gone \\(.*pm500\\.sink\\.influx-gone\\.cfg\\) came"
                + " from a file in conf/ that is gone: deleted)"), Duration.ofSeconds(30));
        Thread.sleep(2000); // conf/ has been read and SCR has run
        assertThat(output()).as("the deleted file's sink").noneMatch(l -> l.contains("Started influx 'gone'"));
    }

    /**
     * A jar that no longer has a bundle an earlier jar installed (dropped, or renamed as the HTTP service was when it
     * became pm500.http.jetty): bnd's launcher leaves it in the kept bundle cache, where it would go on running
     * beside its successor; pm500.launcher uninstalls it before any bundle starts. Here the demo's jar, which has the
     * simulator, ran first in the same home, as an upgrade from an earlier package would leave it.
     */
    @Test
    void aBundleAnEarlierJarInstalledThatThisJarHasNotIsUninstalledAtStart() throws Exception {
        GatewayProcess demo = GatewayProcess.demo(home);
        String password;
        try {
            demo.launch(freePort());
            password = demo.await(PASSWORD, Duration.ofSeconds(60));
            String console = demo.await(CONSOLE, Duration.ofSeconds(60));
            assertThat(get(console + "/bundles", "admin:" + password).body()).contains("pm500.simulator");
        } finally {
            demo.close();
        }

        launch(freePort());
        String console = await(CONSOLE, Duration.ofSeconds(60));
        assertThat(output()).anyMatch(l -> l.startsWith("PM500: uninstalled pm500.simulator ")
                && l.contains("an earlier gateway jar installed it, this one has no such bundle"));
        HttpResponse<String> bundles = get(console + "/bundles", "admin:" + password);
        assertThat(bundles.body()).contains("pm500.http.jetty", "pm500.runtime").doesNotContain("pm500.simulator");
        process.destroy();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();

        launch(freePort());
        await(CONSOLE, Duration.ofSeconds(60));
        assertThat(output()).as("nothing left to uninstall").noneMatch(l -> l.startsWith("PM500: uninstalled"));
    }

    private void launch(int port) throws IOException {
        gateway.launch(port);
        process = gateway.process();
    }

    private List<String> output() throws IOException {
        return gateway.output();
    }

    private String await(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
        return gateway.await(pattern, timeout);
    }
    private HttpResponse<String> get(String url, String credentials) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (credentials != null) {
            request.header("Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        return GatewayProcess.freePort();
    }
}
