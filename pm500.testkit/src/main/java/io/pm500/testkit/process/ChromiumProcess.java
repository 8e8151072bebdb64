package io.pm500.testkit.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.StreamSupport;

/**
 * Debian's {@code chromium}, headless, in a profile of its own, driven through its DevTools endpoints (open a tab
 * on a URL, list tabs; evaluate JavaScript in a tab and take screenshots over the DevTools protocol): a real
 * browser with a real HTTP authentication cache, origin and referrer rules, for tests of what browsers do to and
 * show of the Web Console. Its DevTools port is the one it picked itself (read from
 * {@code DevToolsActivePort}); stopped with all its helper processes by PID.
 */
public final class ChromiumProcess extends PeerProcess {
    private static final List<String> BINARIES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final Path profile;
    private final Path log;
    private int devtoolsPort;

    private ChromiumProcess(Path profile) {
        this.profile = profile;
        this.log = profile.resolveSibling(profile.getFileName() + ".log");
    }

    /** Starts a headless Chromium with an empty profile in {@code profile} (created). */
    public static ChromiumProcess start(Path profile) throws IOException, InterruptedException {
        String binary = BINARIES.stream().filter(b -> Files.isExecutable(Path.of(b))).findFirst()
                .orElseThrow(() -> new IllegalStateException("Chromium is not installed (" + BINARIES + "):"
                        + " apt-get install chromium (.ci/run does)"));
        ChromiumProcess c = new ChromiumProcess(Files.createDirectories(profile));
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        c.process = new ProcessBuilder(binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking", "--window-size=1280,1100",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + profile, "about:blank")
                .redirectErrorStream(true).redirectOutput(c.log.toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
            if (!c.process.isAlive() || System.nanoTime() > deadline) {
                c.close();
                throw new IllegalStateException("Chromium did not start its DevTools endpoint; its output:\n"
                        + c.output());
            }
            Thread.sleep(50);
        }
        c.devtoolsPort = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        return c;
    }

    /** Chromium's product and version, e.g. {@code Chrome/156.0.8078.114}. */
    public String version() throws IOException, InterruptedException {
        return devtools("GET", "/json/version").get("Browser").asText();
    }

    /** Opens a new tab on {@code url}, as a user typing it would (top-level navigation). */
    public void open(String url) throws IOException, InterruptedException {
        devtools("PUT", "/json/new?" + url);
    }

    /** The URLs of the open tabs. */
    public List<String> tabs() throws IOException, InterruptedException {
        JsonNode list = devtools("GET", "/json/list");
        return StreamSupport.stream(list.spliterator(), false)
                .filter(t -> "page".equals(t.path("type").asText())).map(t -> t.path("url").asText()).toList();
    }

    /**
     * Evaluates a JavaScript expression in the open tab whose URL starts with {@code urlPrefix}, through the DevTools
     * protocol ({@code Runtime.evaluate}); a promise is awaited.
     *
     * @return the expression's value as JSON ({@code returnByValue})
     */
    public JsonNode evaluate(String urlPrefix, String expression) throws IOException, InterruptedException {
        ObjectNode params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true)
                .put("awaitPromise", true);
        JsonNode result = command(urlPrefix, "Runtime.evaluate", params);
        if (result.has("exceptionDetails")) {
            throw new IOException("JavaScript failed in " + urlPrefix + ": " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** A PNG of what the tab whose URL starts with {@code urlPrefix} shows ({@code Page.captureScreenshot}). */
    public void screenshot(String urlPrefix, Path png) throws IOException, InterruptedException {
        JsonNode result = command(urlPrefix, "Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, Base64.getDecoder().decode(result.get("data").asText()));
    }

    /** One DevTools protocol command on the tab's own WebSocket; its result. */
    private JsonNode command(String urlPrefix, String method, ObjectNode params)
            throws IOException, InterruptedException {
        JsonNode target = null;
        // a tab just opened shows its URL only once its navigation has committed
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (target == null) {
            for (JsonNode t : devtools("GET", "/json/list")) {
                if ("page".equals(t.path("type").asText()) && t.path("url").asText().startsWith(urlPrefix)) {
                    target = t;
                }
            }
            if (target == null) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("no tab at " + urlPrefix + "; open: " + tabs());
                }
                Thread.sleep(100);
            }
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(
                URI.create(target.get("webSocketDebuggerUrl").asText()), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            try {
                                JsonNode message = JSON.readTree(text.toString());
                                if (message.path("id").asInt() == 1) {
                                    reply.complete(message);
                                }
                            } catch (IOException e) {
                                reply.completeExceptionally(e);
                            }
                            text.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }
                }).join();
        try {
            ObjectNode call = JSON.createObjectNode().put("id", 1).put("method", method);
            call.set("params", params);
            socket.sendText(JSON.writeValueAsString(call), true).join();
            JsonNode message = reply.get(20, TimeUnit.SECONDS);
            if (message.has("error")) {
                throw new IOException("DevTools " + method + ": " + message.get("error"));
            }
            return message.path("result");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("DevTools " + method + " got no answer: " + e, e);
        } finally {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        }
    }

    /** What Chromium printed (its own log). */
    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private JsonNode devtools(String method, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + devtoolsPort
                + path)).timeout(Duration.ofSeconds(20)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("Chromium DevTools " + method + " " + path + ": HTTP " + r.statusCode() + " "
                    + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Chromium runs renderer, GPU and zygote processes beside itself: all are stopped by PID. */
    @Override
    public void close() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> helpers = process.descendants().toList();
        super.close();
        helpers.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (helpers.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
