package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.api.status.SinkState;
import io.pm500.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class CourierTest {
    @TempDir
    Path dir;

    /** A sink that refuses the first {@code failures} calls (retriable), and permanently refuses one sequence id. */
    static final class FlakySink implements Sink {
        final List<Long> received = new CopyOnWriteArrayList<>();
        final AtomicInteger calls = new AtomicInteger();
        final int failures;
        final long poison;

        FlakySink(int failures, long poison) {
            this.failures = failures;
            this.poison = poison;
        }

        @Override
        public void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
            if (calls.incrementAndGet() <= failures) {
                throw SinkException.retriableAfter("down", Duration.ofMillis(20));
            }
            if (batch.stream().anyMatch(r -> r.sequence() == poison)) {
                throw SinkException.permanent("field type conflict", null);
            }
            batch.forEach(r -> received.add(r.sequence()));
        }
    }

    static void await(BooleanSupplier condition) throws Exception {
        Await.until("the courier's state", Duration.ofSeconds(10), condition::getAsBoolean);
    }

    /**
     * Issue 18: delivery resumed 34–93 s after the destination was back, at the end of the courier's back-off. A sink
     * that says its destination is reachable again (Sink.onReady) is retried at once.
     */
    @Test
    void aSinkThatSaysItIsReadyAgainIsRetriedAtOnceNotAtTheEndOfTheBackOff() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("ready"), Long.MAX_VALUE, false)) {
            Courier c = new Courier(o, new DeadLetters(dir.resolve("dl")), 100);
            c.start();
            try {
                Runnable[] ready = new Runnable[1];
                AtomicInteger calls = new AtomicInteger();
                List<Long> received = new CopyOnWriteArrayList<>();
                AtomicBoolean up = new AtomicBoolean();
                c.sink(new Sink() {
                    @Override
                    public void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
                        calls.incrementAndGet();
                        if (!up.get()) {
                            throw SinkException.retriable("down", null); // the courier's own back-off
                        }
                        batch.forEach(r -> received.add(r.sequence()));
                    }

                    @Override
                    public void onReady(Runnable r) {
                        ready[0] = r;
                    }
                });
                assertThat(ready[0]).as("the courier gives a bound sink its ready callback").isNotNull();
                o.append(OutboxTest.records(new EntryCodec.Writer().encode(OutboxTest.sample("m1", 1, 10),
                        System.currentTimeMillis())));
                c.appended();
                await(() -> calls.get() >= 3); // backing off 1, 2 s: the next try is 4 s away
                Thread.sleep(100);
                up.set(true);
                long back = System.nanoTime();
                ready[0].run();
                await(() -> received.size() == 10);
                assertThat((System.nanoTime() - back) / 1_000_000).as("ms from ready to delivered").isLessThan(2000);
            } finally {
                c.stop();
            }
        }
    }

    @Test
    void aFlushIntervalGathersReadingsIntoFullBatchesAndNeverHoldsThemLonger() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("s"), Long.MAX_VALUE, false)) {
            Courier c = new Courier(o, new DeadLetters(dir.resolve("dl")), 100);
            c.batching(40, 40, 400);
            c.start();
            try {
                List<Integer> batches = new CopyOnWriteArrayList<>();
                c.sink((batch, historical) -> batches.add(batch.size()));
                for (int i = 0; i < 4; i++) {
                    o.append(OutboxTest.records(new EntryCodec.Writer().encode(OutboxTest.sample("m1", 1 + i * 10, 10),
                            System.currentTimeMillis())));
                    c.appended();
                }
                await(() -> batches.size() == 1);
                assertThat(batches).as("four samples of 10 make one batch of 40").containsExactly(40);
                long start = System.nanoTime();
                o.append(OutboxTest.records(new EntryCodec.Writer().encode(OutboxTest.sample("m1", 41, 10),
                        System.currentTimeMillis())));
                c.appended();
                await(() -> batches.size() == 2);
                long waited = (System.nanoTime() - start) / 1_000_000;
                assertThat(batches.get(1)).isEqualTo(10);
                assertThat(waited).as("a part batch waits the flush interval, no longer").isBetween(350L, 3000L);
            } finally {
                c.stop();
            }
        }
    }

    @Test
    void aBacklogDrainsInCatchUpBatchesAndTheLastBatchesAreOrdinaryAgain() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("s"), Long.MAX_VALUE, false)) {
            Courier c = new Courier(o, new DeadLetters(dir.resolve("dl")), 100);
            c.batching(20, 60, 0);
            c.start();
            try {
                for (int i = 0; i < 10; i++) { // queued while there is no sink: an outage
                    o.append(OutboxTest.records(new EntryCodec.Writer().encode(OutboxTest.sample("m1", 1 + i * 10, 10),
                            System.currentTimeMillis())));
                    c.appended();
                }
                List<Integer> batches = new CopyOnWriteArrayList<>();
                c.sink((batch, historical) -> batches.add(batch.size()));
                await(() -> batches.stream().mapToInt(Integer::intValue).sum() == 100);
                assertThat(batches).as("100 queued > 2 × 20: one catch-up batch of 60, then 40 in batches of 20")
                        .containsExactly(60, 20, 20);
            } finally {
                c.stop();
            }
        }
    }

    @Test
    void retriableFailuresKeepEverythingAndDeliverInOrderOnce() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("s"), Long.MAX_VALUE, false)) {
            Courier c = new Courier(o, new DeadLetters(dir.resolve("dl")), 25);
            c.start();
            try {
                FlakySink sink = new FlakySink(3, -1);
                c.sink(sink);
                for (int i = 0; i < 10; i++) {
                    OutboxTest.append(o, OutboxTest.sample("m1", 1 + i * 10, 10));
                    c.appended();
                }
                await(() -> sink.received.size() == 100);
                assertThat(sink.received).isSorted().doesNotHaveDuplicates();
                assertThat(c.status().failedTries()).isEqualTo(3);
                assertThat(c.status().state()).isEqualTo(SinkState.UP);
                assertThat(c.status().queued()).isZero();
                assertThat(c.status().delivered()).isEqualTo(100);
            } finally {
                c.stop();
            }
        }
    }

    @Test
    void permanentlyRefusedReadingIsIsolatedToTheDeadLetterFile() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("s"), Long.MAX_VALUE, false)) {
            DeadLetters dl = new DeadLetters(dir.resolve("dl"));
            Courier c = new Courier(o, dl, 100);
            FlakySink sink = new FlakySink(0, 37);
            c.sink(sink);
            for (int i = 0; i < 10; i++) {
                OutboxTest.append(o, OutboxTest.sample("m1", 1 + i * 10, 10));
            }
            c.start();
            try {
                await(() -> sink.received.size() == 99);
                assertThat(sink.received).doesNotContain(37L).hasSize(99).doesNotHaveDuplicates();
                await(() -> c.status().queued() == 0);
                assertThat(c.status().deadLettered()).isEqualTo(1);
                assertThat(c.status().failedTries()).as("isolating is no failed try").isZero();
                List<String> lines = Files.readAllLines(dl.file("s"));
                assertThat(lines).hasSize(1);
                assertThat(lines.get(0)).contains("\"sequence\":37").contains("field type conflict");
            } finally {
                c.stop();
            }
        }
    }

    /**
     * Issue 18, fault 4: a partial write cost thousands of halving requests and re-sent what the server had written.
     * A sink that names the refused readings gets exactly those dead-lettered, and nothing is sent again.
     */
    @Test
    void aRefusalThatNamesTheRefusedReadingsDeadLettersExactlyThoseAndSendsNothingAgain() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("named"), Long.MAX_VALUE, false)) {
            DeadLetters dl = new DeadLetters(dir.resolve("dl-named"));
            Courier c = new Courier(o, dl, 100);
            AtomicInteger calls = new AtomicInteger();
            c.sink((batch, historical) -> {
                calls.incrementAndGet();
                throw SinkException.refused("partial write: field type conflict", batch.stream()
                        .filter(r -> r.sequence() == 3 || r.sequence() == 7).toList());
            });
            OutboxTest.append(o, OutboxTest.sample("m1", 1, 10));
            c.start();
            try {
                await(() -> c.status().queued() == 0);
                assertThat(calls).as("one request, no halving, no re-send").hasValue(1);
                assertThat(c.status().deadLettered()).isEqualTo(2);
                assertThat(c.status().delivered()).isEqualTo(8);
                assertThat(c.status().failedTries()).isZero();
                assertThat(Files.readAllLines(dl.file("s"))).hasSize(2).allMatch(l -> l.contains("field type conflict"))
                        .anyMatch(l -> l.contains("\"sequence\":3")).anyMatch(l -> l.contains("\"sequence\":7"));
            } finally {
                c.stop();
            }
        }
    }

    @Test
    void absentSinkQueuesAndReportsAbsent() throws Exception {
        try (Outbox o = new Outbox("s", dir.resolve("s"), Long.MAX_VALUE, false)) {
            Courier c = new Courier(o, new DeadLetters(dir.resolve("dl")), 100);
            c.start();
            try {
                OutboxTest.append(o, OutboxTest.sample("m1", 1, 10));
                Thread.sleep(50);
                assertThat(c.status().state()).isEqualTo(SinkState.ABSENT);
                assertThat(c.status().queued()).isEqualTo(10);
                assertThat(c.status().queuedBytes()).isPositive();
                FlakySink sink = new FlakySink(0, -1);
                c.sink(sink);
                await(() -> sink.received.size() == 10);
            } finally {
                c.stop();
            }
        }
    }

    /**
     * Issue 20: an outage is logged when it starts, summarised every 5 minutes with what waits, and logged when it
     * ends; never once per try.
     */
    @Test
    void anOutageIsLoggedWhenItStartsEveryFiveMinutesWhileItLastsAndWhenItEnds() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(Courier.class);
        logger.addAppender(log);
        AtomicLong clock = new AtomicLong();
        AtomicBoolean down = new AtomicBoolean(true);
        AtomicInteger tries = new AtomicInteger();
        try (Outbox o = new Outbox("s", dir.resolve("s"), Long.MAX_VALUE, false)) {
            Courier c = new Courier(o, new DeadLetters(dir.resolve("dl")), 100, clock::get);
            c.start();
            try {
                c.sink((batch, historical) -> {
                    tries.incrementAndGet();
                    if (down.get()) {
                        throw SinkException.retriableAfter("connection refused", Duration.ofMillis(5));
                    }
                });
                OutboxTest.append(o, OutboxTest.sample("m1", 1, 10));
                c.appended();
                await(() -> tries.get() >= 20);
                clock.set(TimeUnit.MINUTES.toNanos(4));
                int at4 = tries.get();
                await(() -> tries.get() >= at4 + 20);
                assertThat(messages(log)).singleElement().asString()
                        .startsWith("Sink 's': delivery failed, retrying in 5 ms; readings stay queued: connection");
                clock.set(TimeUnit.MINUTES.toNanos(5) + TimeUnit.SECONDS.toNanos(3));
                await(() -> messages(log).size() == 2);
                int at5 = tries.get();
                await(() -> tries.get() >= at5 + 20);
                assertThat(messages(log)).hasSize(2).last().asString()
                        .startsWith("Sink 's': still failing after 5 min 3 s (")
                        .contains("failed tries); 10 readings (").contains("bytes) queued, the oldest ")
                        .endsWith("old; last error: connection refused");
                clock.set(TimeUnit.MINUTES.toNanos(7));
                down.set(false);
                await(() -> c.status().queued() == 0);
                await(() -> messages(log).size() == 3);
                assertThat(messages(log).get(2)).matches("Sink 's': delivering again after \\d+ failed tries in 7 min"
                        + " 0 s; \\d+ readings queued to catch up");
            } finally {
                c.stop();
                logger.detachAppender(log);
            }
        }
    }

    private static List<String> messages(ListAppender<ILoggingEvent> log) {
        return List.copyOf(log.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void durationsReadLikeAPersonWouldSayThem() {
        assertThat(Courier.duration(TimeUnit.SECONDS.toNanos(42))).isEqualTo("42 s");
        assertThat(Courier.duration(TimeUnit.SECONDS.toNanos(425))).isEqualTo("7 min 5 s");
        assertThat(Courier.duration(TimeUnit.MINUTES.toNanos(182))).isEqualTo("3 h 2 min");
    }
}
