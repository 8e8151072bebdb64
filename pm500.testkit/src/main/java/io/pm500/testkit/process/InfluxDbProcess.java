package io.pm500.testkit.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A historian we did not write: Debian's InfluxDB 1.x ({@code apt-get install influxdb}; {@code .ci/run} does) in its
 * own process, with a generated configuration (data under a temporary directory, HTTP on an ephemeral loopback port
 * read back from its log, no reporting, no self-monitoring). {@link #query} runs InfluxQL over the HTTP API;
 * {@link #kill()} and {@link #run()} take it away and bring it back on the same port; {@link #close()} stops it by PID.
 */
public final class InfluxDbProcess extends PeerProcess {
    /** Where Debian installs the server; {@code -Dpm500.influxd=<path>} for another. */
    public static final String BINARY = System.getProperty("pm500.influxd", "/usr/bin/influxd");
    private static final Pattern LISTENING = Pattern.compile("Listening on HTTP.* addr=127\\.0\\.0\\.1:(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int port;

    private InfluxDbProcess(Path dir) {
        this.dir = dir;
    }

    /** Starts a server on an ephemeral loopback port and waits until it answers; fails when it cannot. */
    public static InfluxDbProcess start() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException("InfluxDB not found at " + BINARY + ": install Debian's influxdb"
                    + " (apt-get install influxdb; .ci/run does) or set -Dpm500.influxd=<path>");
        }
        InfluxDbProcess influx = new InfluxDbProcess(Files.createTempDirectory("influxdb"));
        influx.run();
        return influx;
    }

    /** (Re)starts the server: the first time on an ephemeral port, then on the same one; waits for {@code /ping}. */
    public void run() throws IOException, InterruptedException {
        Path conf = dir.resolve("influxdb.conf");
        Files.writeString(conf, String.join("\n", "reporting-disabled = true", "bind-address = \"127.0.0.1:0\"",
                "[meta]", "  dir = \"" + dir.resolve("meta") + "\"", "[data]", "  dir = \"" + dir.resolve("data")
                        + "\"", "  wal-dir = \"" + dir.resolve("wal") + "\"", "  query-log-enabled = false",
                "[monitor]", "  store-enabled = false", "[http]", "  bind-address = \"127.0.0.1:" + port + "\"",
                "  log-enabled = false", ""), StandardCharsets.UTF_8);
        Path log = dir.resolve("influxd-" + System.nanoTime() + ".log");
        process = new ProcessBuilder(BINARY, "run", "-config", conf.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (port == 0 || !pings()) {
            if (port == 0) {
                Matcher m = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                close();
                throw new IOException("InfluxDB did not answer on 127.0.0.1:" + port + ": "
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            Thread.sleep(50);
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Runs InfluxQL ({@code db} may be null) and returns the JSON answer; an HTTP or statement error throws. */
    public JsonNode query(String db, String influxQl) throws IOException, InterruptedException {
        String form = "q=" + URLEncoder.encode(influxQl, StandardCharsets.UTF_8)
                + (db == null ? "" : "&db=" + URLEncoder.encode(db, StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/query"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(r.body());
        JsonNode error = answer.path("results").path(0).path("error");
        if (r.statusCode() != 200 || !error.isMissingNode()) {
            throw new IOException("InfluxQL '" + influxQl + "' answered " + r.statusCode() + ": " + r.body());
        }
        return answer;
    }

    private boolean pings() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url() + "/ping")).timeout(Duration.ofSeconds(2))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 204;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
