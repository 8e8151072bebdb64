package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: looking costs the meters nothing. 200 simulated meters polled over Modbus TCP every second; the same
 * 10 s of polling measured once with nobody looking and once while five pages' worth of {@code status.json} (5/s),
 * {@code /metrics}, {@code /health} and the charts' history (1/s each) are asked for: no meter gets fewer polls or a
 * late one, and {@code status.json} answers within 100 ms.
 */
class StatusUnderLoadIT {
    private static final int METERS = 200;
    private static final Pattern PASSWORD = Pattern.compile("generated password for user 'admin': (\\S+)");
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private GatewayProcess gateway;
    private final HttpClient http = HttpClient.newHttpClient();
    private String auth;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void lookingAtTwoHundredMetersDelaysNoPollAndStatusAnswersWithin100Ms() throws Exception {
        gateway = GatewayProcess.demo(home);
        Path conf = home.resolve("conf");
        int base = GatewayProcess.freePorts(2 * METERS);
        Files.writeString(conf.resolve("pm500.simulator.cfg"), "meters=" + METERS + "\nhost=127.0.0.1\nbasePort="
                + base + "\nseed=1\nprofile=pm500\n");
        for (int i = 0; i < METERS; i++) {
            Files.writeString(conf.resolve("pm500.driver.modbus-m" + i + ".cfg"), "meterId=m" + i
                    + "\nhost=127.0.0.1\nport=" + (base + 2 * i) + "\nblockIntervals=info=0, status=1000,"
                    + " energy=1000\n");
        }
        int port = GatewayProcess.freePort();
        gateway.launch(port);
        String password = gateway.await(PASSWORD, START);
        gateway.await(GatewayProcess.CONSOLE, START);
        auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        String root = "http://127.0.0.1:" + port;
        String status = root + "/system/console/pm500/status.json";

        long deadline = System.nanoTime() + START.toNanos();
        while (connected(get(status).body()) < METERS) {
            assertThat(System.nanoTime()).as("all %d meters CONNECTED within %s", METERS, START).isLessThan(deadline);
            Thread.sleep(500);
        }
        // past the first connections' catch-up; and the JIT past its first compilations, as in a gateway that runs
        for (int i = 0; i < 100; i++) {
            get(status);
        }
        Thread.sleep(2000);

        List<Long> quietMillis = new ArrayList<>();
        Map<String, Long> quiet = polls(status, WINDOW, quietMillis);

        List<Long> statusMillis = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean looking = new AtomicBoolean(true);
        List<Thread> lookers = new ArrayList<>();
        for (int page = 0; page < 5; page++) {
            long offset = page * 200L; // five people do not click at the same instant
            lookers.add(start(() -> every(1000, offset, looking, () -> {
                long t0 = System.nanoTime();
                HttpResponse<String> r = get(status);
                assertThat(r.statusCode()).isEqualTo(200);
                statusMillis.add((System.nanoTime() - t0) / 1_000_000);
            })));
        }
        for (String url : List.of(root + "/metrics", root + "/health", root + "/system/console/pm500/history.json"
                + "?meter=m7")) {
            lookers.add(start(() -> every(1000, 100, looking, () -> get(url))));
        }
        Map<String, Long> watched;
        try {
            watched = polls(status, WINDOW, statusMillis);
        } finally {
            looking.set(false);
            for (Thread t : lookers) {
                t.join();
            }
        }

        List<Long> sorted = new ArrayList<>(statusMillis);
        Collections.sort(sorted);
        long median = sorted.get(sorted.size() / 2);
        long p95 = sorted.get(sorted.size() * 95 / 100);
        long quietTotal = quiet.values().stream().mapToLong(Long::longValue).sum();
        long watchedTotal = watched.values().stream().mapToLong(Long::longValue).sum();
        Collections.sort(quietMillis);
        System.out.printf("%d meters, %d s: %d polls unwatched, %d watched; status.json (%d requests, %d KB)"
                + " median %d ms, p95 %d ms, max %d ms; unwatched (one request a second) median %d ms%n", METERS,
                WINDOW.toSeconds(), quietTotal, watchedTotal, sorted.size(), get(status).body().length() / 1024,
                median, p95, sorted.get(sorted.size() - 1), quietMillis.get(quietMillis.size() / 2));
        for (Map.Entry<String, Long> e : quiet.entrySet()) {
            // each meter: 2 blocks a second; a window's edges may cut one poll of each
            assertThat(watched.get(e.getKey())).as("polls of %s while watched (unwatched: %d)", e.getKey(),
                    e.getValue()).isGreaterThanOrEqualTo(Math.min(e.getValue(), 2 * WINDOW.toSeconds()) - 2);
        }
        assertThat(p95).as("status.json p95 (ms) for %d meters", METERS).isLessThan(100);
    }

    /**
     * Each meter's polls over the window, read from status.json; on the way every meter must have had a good poll
     * within the last 2 s (no poll late).
     */
    private Map<String, Long> polls(String status, Duration window, List<Long> millis) throws Exception {
        Map<String, Long> before = pollCounts(get(status).body());
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            String body = get(status).body();
            millis.add((System.nanoTime() - t0) / 1_000_000);
            for (JsonNode m : JSON.readTree(body).path("meters")) {
                assertThat(m.path("sinceLastSuccessSeconds").asLong(99)).as("seconds since %s's last good poll",
                        m.path("meterId").asText()).isLessThanOrEqualTo(2);
            }
            Thread.sleep(1000);
        }
        Map<String, Long> after = pollCounts(get(status).body());
        Map<String, Long> delta = new HashMap<>();
        after.forEach((meter, n) -> delta.put(meter, n - before.getOrDefault(meter, 0L)));
        assertThat(delta).hasSize(METERS);
        return delta;
    }

    private static Map<String, Long> pollCounts(String statusJson) throws IOException {
        Map<String, Long> counts = new HashMap<>();
        for (JsonNode m : JSON.readTree(statusJson).path("meters")) {
            counts.put(m.path("meterId").asText(), m.path("polls").asLong());
        }
        return counts;
    }

    private static int connected(String statusJson) throws IOException {
        int n = 0;
        for (JsonNode m : JSON.readTree(statusJson).path("meters")) {
            n += m.path("state").asText().equals("CONNECTED") ? 1 : 0;
        }
        return n;
    }

    /** With the console login (status.json needs it; /metrics and /health ignore it). */
    private HttpResponse<String> get(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(url + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Thread start(Runnable r) {
        Thread t = new Thread(r, "looker");
        t.start();
        return t;
    }

    private static void every(long periodMillis, long offsetMillis, AtomicBoolean running, Runnable action) {
        long next = System.nanoTime() + offsetMillis * 1_000_000;
        try {
            Thread.sleep(offsetMillis);
        } catch (InterruptedException e) {
            return;
        }
        while (running.get()) {
            action.run();
            next += periodMillis * 1_000_000;
            long sleep = (next - System.nanoTime()) / 1_000_000;
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
