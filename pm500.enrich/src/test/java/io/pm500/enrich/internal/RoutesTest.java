package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutesTest {
    @TempDir
    Path dir;

    private static EnrichedReading reading(int poll, String metric, double value) {
        Instant t = Instant.parse("2026-12-04T10:00:00Z").plusSeconds(poll);
        return new EnrichedReading(poll, "m1", "plant", "press", "feeder-1", metric, Phase.TOTAL, "V",
                Value.of(value), Quality.GOOD, t, t);
    }

    /**
     * Issue 23: a sample's readings are encoded once for all the routes that take every one of them; routes with
     * report by exception among them, whose selections are encoded in the same buffer, get their own selection and
     * leave the others theirs, whatever order the routes are visited in.
     */
    @Test
    void routesWithAndWithoutReportByExceptionEachDeliverTheirOwnReadings() throws Exception {
        Map<String, List<String>> delivered = new ConcurrentHashMap<>();
        List<String> names = List.of("a", "b", "c", "d", "e");
        try (Outboxes store = new Outboxes(dir.resolve("outboxes"), 1000)) {
            Routes routes = new Routes(store, new DeadLetters(dir.resolve("dead")), 1L << 30);
            try {
                for (String name : names) {
                    boolean byException = name.equals("b") || name.equals("d");
                    routes.configureRoute(new RouteSettings(name, 1L << 30, 500, 500, 0,
                            byException ? new ExceptionFilter.Deadband(5, 0, Duration.ofHours(1)) : null));
                    List<String> got = new CopyOnWriteArrayList<>();
                    delivered.put(name, got);
                    routes.route(name).sink(new Sink() {
                        @Override
                        public void deliver(List<EnrichedReading> batch, boolean historical) {
                            batch.forEach(r -> got.add(r.metric() + "=" + r.value()));
                        }
                    });
                }
                routes.append(List.of(reading(1, "voltage", 100), reading(1, "current", 10)), 1000);
                // beyond the deadband (5) only the current: the routes by exception take it alone
                routes.append(List.of(reading(2, "voltage", 101), reading(2, "current", 20)), 2000);
                routes.append(List.of(reading(3, "voltage", 110), reading(3, "current", 21)), 3000);

                Await.until("every route's deliveries", Duration.ofSeconds(10),
                        () -> delivered.get("a").size() == 6 && delivered.get("b").size() == 4
                                && delivered.get("c").size() == 6 && delivered.get("d").size() == 4
                                && delivered.get("e").size() == 6);
                List<String> all = List.of("voltage=" + Value.of(100.0), "current=" + Value.of(10.0),
                        "voltage=" + Value.of(101.0), "current=" + Value.of(20.0), "voltage=" + Value.of(110.0),
                        "current=" + Value.of(21.0));
                List<String> byException = List.of("voltage=" + Value.of(100.0), "current=" + Value.of(10.0),
                        "current=" + Value.of(20.0), "voltage=" + Value.of(110.0));
                for (String name : names) {
                    assertThat(delivered.get(name)).as("route %s", name)
                            .containsExactlyElementsOf(name.equals("b") || name.equals("d") ? byException : all);
                }
            } finally {
                routes.close();
            }
        }
    }
}
