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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
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

    /** One sample's readings appended to every route, in a run of their own. */
    private static void append(Routes routes, List<EnrichedReading> readings, long now) {
        Routes.Staged run = routes.stage();
        try {
            run.add(readings, now);
            run.write();
        } finally {
            run.end();
        }
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
                append(routes, List.of(reading(1, "voltage", 100), reading(1, "current", 10)), 1000);
                // beyond the deadband (5) only the current: the routes by exception take it alone
                append(routes, List.of(reading(2, "voltage", 101), reading(2, "current", 20)), 2000);
                append(routes, List.of(reading(3, "voltage", 110), reading(3, "current", 21)), 3000);

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

    /**
     * Issue 23: a poll loop's round staged as one run — each sample's readings encoded once in the thread's buffer and
     * copied into every route's records, a route's records written at once past {@link Routes#WRITE_AT} bytes and
     * the rest at the run's end — reaches each route whole and in order, report by exception included.
     */
    @Test
    void aRunOfSamplesStagedTogetherReachesEveryRouteWholeAndInOrder() throws Exception {
        Map<String, List<String>> delivered = new ConcurrentHashMap<>();
        int samples = 300;
        int metrics = 40;
        try (Outboxes store = new Outboxes(dir.resolve("outboxes"), 1000)) {
            Routes routes = new Routes(store, new DeadLetters(dir.resolve("dead")), 1L << 30);
            try {
                for (String name : List.of("all", "byException")) {
                    routes.configureRoute(new RouteSettings(name, 1L << 30, 5000, 5000, 0, name.equals("all") ? null
                            : new ExceptionFilter.Deadband(5, 0, Duration.ofHours(1))));
                    List<String> got = new CopyOnWriteArrayList<>();
                    delivered.put(name, got);
                    routes.route(name).sink(new Sink() {
                        @Override
                        public void deliver(List<EnrichedReading> batch, boolean historical) {
                            batch.forEach(r -> got.add(r.sequence() + " " + r.metric() + "=" + r.value()));
                        }
                    });
                }
                List<String> all = new ArrayList<>();
                List<String> byException = new ArrayList<>();
                Routes.Staged run = routes.stage();
                try {
                    for (int poll = 0; poll < samples; poll++) {
                        List<EnrichedReading> readings = new ArrayList<>();
                        for (int m = 0; m < metrics; m++) {
                            // a value moves by 10 every second poll: report by exception takes the even polls only
                            EnrichedReading r = reading(poll, "metric" + m, (poll / 2) * 10.0);
                            readings.add(r);
                            all.add(poll + " metric" + m + "=" + r.value());
                            if (poll % 2 == 0) {
                                byException.add(poll + " metric" + m + "=" + r.value());
                            }
                        }
                        run.add(readings, 1000 + poll);
                    }
                    run.write();
                } finally {
                    run.end();
                }
                assertThat(all.size() * 30L).as("the run is several times WRITE_AT").isGreaterThan(3L * Routes.WRITE_AT);

                Await.until("both routes' deliveries", Duration.ofSeconds(20),
                        () -> delivered.get("all").size() == all.size()
                                && delivered.get("byException").size() == byException.size());
                assertThat(delivered.get("all")).containsExactlyElementsOf(all);
                assertThat(delivered.get("byException")).containsExactlyElementsOf(byException);
            } finally {
                routes.close();
            }
        }
    }

    /**
     * A sink name with neither sink nor route configuration is retired (its outbox deleted) while a poll loop's run
     * has staged readings for it: the route goes only after the run is written, so the run does not write into an
     * outbox being deleted and report that as a failure of its round.
     */
    @Test
    void aRouteIsNotRetiredUnderARunThatHoldsReadingsForIt() throws Exception {
        try (Outboxes store = new Outboxes(dir.resolve("outboxes"), 1000)) {
            Routes routes = new Routes(store, new DeadLetters(dir.resolve("dead")), 1L << 30);
            try {
                routes.route("gone");
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread retiring = new Thread(() -> {
                    try {
                        routes.retire(new String[] {"gone"}, Set.of());
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                }, "retiring");
                Routes.Staged run = routes.stage();
                try {
                    run.add(List.of(reading(1, "voltage", 100)), 1000);
                    retiring.start();
                    Await.until("the retirement has run or waits", Duration.ofSeconds(10),
                            () -> !retiring.isAlive() || retiring.getState() == Thread.State.WAITING);
                    assertThat(routes.existingRoute("gone")).as("the route while a run holds readings for it")
                            .isNotNull();
                    run.write();
                } finally {
                    run.end();
                }
                retiring.join(10_000);
                assertThat(failed.get()).isNull();
                assertThat(routes.existingRoute("gone")).isNull();
                assertThat(store.sinkNames()).doesNotContain("gone");
            } finally {
                routes.close();
            }
        }
    }
}
