package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.pm500.testkit.process.ChromiumProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, console item 4, in a real browser (Debian's Chromium, headless): logged in to the console, it visits a
 * page on another local port whose sandboxed, no-referrer frame posts a bundle stop to the console. Chromium sends
 * that POST with the console's cached credentials and {@code Origin: null}; the gateway refuses it and the bundle
 * keeps running. Before, {@code null} fell back to the (absent) Referer and the request was let through as "not a
 * browser".
 */
class ConsoleBrowserIT {
    private static final Pattern PASSWORD = Pattern.compile("generated password for user 'admin': (\\S+)");
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path home;
    @TempDir
    Path browserHome;
    private GatewayProcess gateway;
    private ChromiumProcess chromium;
    private HttpServer attacker;

    @AfterEach
    void stop() throws InterruptedException {
        if (chromium != null) {
            chromium.close();
        }
        if (attacker != null) {
            attacker.stop(0);
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aLoggedInBrowserCannotBeMadeToChangeTheGatewayByAnotherSitesSandboxedFrame() throws Exception {
        gateway = GatewayProcess.demo(home);
        int port = GatewayProcess.freePort();
        gateway.launch(port);
        String password = gateway.await(PASSWORD, START);
        String console = gateway.await(GatewayProcess.CONSOLE, START);

        attacker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        String frame = "<form method='post' action='" + console + "/bundles/pm500.simulator'>"
                + "<input name='action' value='stop'></form><script>document.forms[0].submit()</script>";
        byte[] page = ("<!doctype html><meta name='referrer' content='no-referrer'><title>cat pictures</title>"
                + "<iframe sandbox='allow-scripts allow-forms' referrerpolicy='no-referrer' srcdoc=\""
                + frame.replace("\"", "&quot;") + "\"></iframe>").getBytes(StandardCharsets.UTF_8);
        attacker.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        attacker.start();

        chromium = ChromiumProcess.start(browserHome.resolve("profile"));
        System.out.println("console CSRF test in " + chromium.version());
        // the operator logs in (credentials in the URL: Chromium caches them for the console, as after a prompt)
        chromium.open("http://admin:" + password + "@127.0.0.1:" + port + "/system/console/bundles");
        gateway.awaitAudit("\"action\":\"login\"", START);
        chromium.open("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");

        String refused = gateway.await(Pattern.compile("(refused POST /system/console/bundles/pm500\\.simulator"
                + " .*)"), Duration.ofSeconds(30));
        assertThat(refused).contains("with the console's credentials").contains("Origin 'null'");
        Thread.sleep(1000); // had it been let through, the bundle would be stopping by now
        HttpResponse<String> state = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(console
                + "/bundles/pm500.simulator.json")).header("Authorization", "Basic " + Base64.getEncoder()
                .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new ObjectMapper().readTree(state.body()).get("data").get(0).get("state").asText())
                .as("the simulator bundle after the forged stop").isEqualTo("Active");
    }
}
