package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that drains one outbox into its sink: takes a batch, calls {@link Sink#deliver}, removes the batch
 * when the call returns. A retriable failure keeps the batch and backs off (1 s doubling to 60 s, or the delay the
 * sink asked for); a permanent one splits the batch in halves until the refused readings are isolated, and moves
 * those to the dead-letter file. An outage is logged when it starts, summarised every {@value #SUMMARY_MINUTES}
 * minutes while it lasts (tries, queued readings and bytes, the oldest reading's age, the last error) and logged once
 * when delivery works again: never once per try.
 */
final class Courier implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Courier.class);
    private static final long BACKOFF_BASE_MILLIS = 1000;
    private static final long BACKOFF_CAP_MILLIS = 60_000;
    private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int SUMMARY_MINUTES = 5;

    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private final Thread thread;
    private volatile Sink sink;
    private volatile int batchSize;
    private volatile int catchUpBatchSize;
    /** Strings decoded from this outbox's entries, reused (the delivery thread's only). */
    private final EntryCodec.Strings strings = new EntryCodec.Strings();
    private volatile long flushMillis;
    private volatile boolean running = true;
    private volatile long retryAtNanos; // 0: no back-off; appends do not cut a back-off short, a new sink does
    private volatile boolean readySignal;
    /** The delivery thread waits for readings (none queued): an append wakes it. */
    private volatile boolean awaitingData;
    /** The delivery thread waits for a fuller batch: an append wakes it only once the batch is full. */
    private volatile boolean lingering;

    // counters: written by the courier thread only, read by status readers
    private volatile long delivered;
    private volatile long failedTries;
    /** Failed deliveries since the current outage began (delivery thread only). */
    private long outageTries;
    private volatile long deadLettered;
    private volatile String lastError = "";
    private volatile Instant lastDelivery;
    private volatile boolean retrying;
    private long backoffStep;
    /** When the current outage began and was last summarised, by {@link #clock} (delivery thread only). */
    private long outageStartNanos;
    private long summaryNanos;
    private final LongSupplier clock;
    /** Where refused readings go, for the status (fixed per sink: made once, not per status request). */
    private final String deadLetterFile;
    // delivered/s over the last window: written by the status sweep
    private volatile double rate;
    private long rateDelivered;
    private long rateNanos = System.nanoTime();

    Courier(Outbox outbox, DeadLetters deadLetters, int batchSize) {
        this(outbox, deadLetters, batchSize, System::nanoTime);
    }

    /** @param clock nanoseconds, for how long an outage has lasted (tests pass a manual one) */
    Courier(Outbox outbox, DeadLetters deadLetters, int batchSize, LongSupplier clock) {
        this.clock = clock;
        this.outbox = outbox;
        this.deadLetters = deadLetters;
        this.batchSize = batchSize;
        this.catchUpBatchSize = batchSize;
        this.deadLetterFile = deadLetters.file(outbox.sinkName()).toAbsolutePath().toString();
        this.thread = new Thread(this, "pm500-sink-" + outbox.sinkName());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Readings per delivery, about; per delivery while more than two batches are queued (a backlog: at least
     * {@code size}); how long queued readings may wait for a full batch (0: not at all).
     */
    void batching(int size, int catchUpSize, long flushIntervalMillis) {
        batchSize = size;
        catchUpBatchSize = Math.max(size, catchUpSize);
        flushMillis = flushIntervalMillis;
        wake();
    }

    /** A sink service bound (or rebound after an update), or null when it went away. */
    void sink(Sink s) {
        if (s == null) {
            outbox.failing();
        } else {
            outbox.recovered();
            retryAtNanos = 0;
            s.onReady(this::ready);
        }
        sink = s;
        wake();
    }

    /**
     * The sink's destination is reachable again: end the back-off now. A flag the delivery thread consumes, so a call
     * that comes while a delivery is failing is not lost when that failure sets the next back-off.
     */
    private void ready() {
        readySignal = true;
        LockSupport.unpark(thread);
    }

    /** New settings or a new sink: deliver now rather than at the end of a back-off or idle wait. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /**
     * Readings were appended: wakes the delivery thread only if it waits for them. A thread switch per sample and
     * route was the largest cost of a poll; a busy, lingering or backing-off courier takes them when it comes round.
     */
    void appended() {
        if (awaitingData || lingering && outbox.readings() >= batchSize) {
            LockSupport.unpark(thread);
        }
    }

    /** Stops after the current delivery; not by interrupting, which would close the outbox's file channels. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("Sink '{}': delivery thread still busy in the sink after 15 s; it will stop when the sink"
                    + " returns", outbox.sinkName());
        }
    }

    @Override
    public void run() {
        while (running) {
            if (readySignal) {
                readySignal = false;
                retryAtNanos = 0;
            }
            long wait = retryAtNanos == 0 ? 0 : retryAtNanos - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            retryAtNanos = 0;
            Sink s = sink;
            if (s == null) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                continue;
            }
            // announced before looking, so that an append in between leaves the permit and the park returns at once
            lingering = true;
            long linger = lingerMillis();
            if (linger > 0) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(linger));
                lingering = false;
                continue;
            }
            lingering = false;
            awaitingData = true;
            int size = batchSize;
            Outbox.Batch batch = outbox.take(outbox.readings() > 2L * size ? catchUpBatchSize : size);
            if (batch == null) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                awaitingData = false;
                continue;
            }
            awaitingData = false;
            long pause = deliver(s, batch);
            if (pause > 0) {
                retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause);
            }
        }
    }

    /** How much longer to wait for a full batch: while fewer are queued and the oldest is younger than allowed. */
    private long lingerMillis() {
        long flush = flushMillis;
        if (flush == 0) {
            return 0;
        }
        long queued = outbox.readings();
        if (queued == 0 || queued >= batchSize) {
            return 0;
        }
        return Math.max(0, flush - outbox.oldestAge(System.currentTimeMillis()).toMillis());
    }

    /** Delivers one batch; returns how long to wait before the next try (0 after success). */
    private long deliver(Sink s, Outbox.Batch batch) {
        List<EnrichedReading> readings = new ArrayList<>(batch.readings());
        for (byte[] entry : batch.entries()) {
            readings.addAll(EntryCodec.decode(entry, strings));
        }
        long deadBefore = deadLettered;
        try {
            isolate(s, readings, batch.historical());
        } catch (SinkException e) {
            outbox.release();
            outbox.failing();
            failedTries++;
            outageTries++;
            lastError = describe(e);
            long delay = e.retryAfter().map(Duration::toMillis)
                    .orElse(Math.min(BACKOFF_CAP_MILLIS, BACKOFF_BASE_MILLIS << Math.min(backoffStep++, 16)));
            if (!retrying) {
                outageStarts();
                LOG.warn("Sink '{}': delivery failed, retrying in {} ms; readings stay queued: {}",
                        outbox.sinkName(), delay, lastError);
            } else {
                summarise();
            }
            retrying = true;
            return delay;
        } catch (RuntimeException e) {
            // a bug in the sink must not lose readings: treat it like a retriable failure, but say it loudly
            outbox.release();
            outbox.failing();
            failedTries++;
            lastError = "sink threw " + e;
            outageTries++;
            if (!retrying) {
                outageStarts();
                LOG.error("Sink '{}': deliver threw {}; the batch stays queued and is retried", outbox.sinkName(),
                        e.toString(), e);
            } else {
                summarise();
            }
            retrying = true;
            return Math.min(BACKOFF_CAP_MILLIS, BACKOFF_BASE_MILLIS << Math.min(backoffStep++, 16));
        }
        outbox.complete(batch);
        lastDelivery = Instant.now();
        if (deadLettered > deadBefore) {
            LOG.warn("Sink '{}': {} readings refused for good, moved to data/pipeline/dead-letter/{}.jsonl: {}",
                    outbox.sinkName(), deadLettered - deadBefore, outbox.sinkName(), lastError);
        }
        if (retrying || outbox.isFailing()) {
            if (outageTries > 0) {
                LOG.info("Sink '{}': delivering again after {} failed tries in {}; {} readings queued to catch up",
                        outbox.sinkName(), outageTries, duration(clock.getAsLong() - outageStartNanos),
                        outbox.readings());
            }
            outbox.recovered();
            retrying = false;
            backoffStep = 0;
            outageTries = 0;
        }
        return 0;
    }

    private void outageStarts() {
        outageStartNanos = clock.getAsLong();
        summaryNanos = outageStartNanos;
    }

    /** While an outage lasts: one line every {@value #SUMMARY_MINUTES} minutes with what is waiting. */
    private void summarise() {
        long now = clock.getAsLong();
        if (now - summaryNanos < TimeUnit.MINUTES.toNanos(SUMMARY_MINUTES)) {
            return;
        }
        summaryNanos = now;
        LOG.warn("Sink '{}': still failing after {} ({} failed tries); {} readings ({} bytes) queued, the oldest {}"
                + " old; last error: {}", outbox.sinkName(), duration(now - outageStartNanos), outageTries,
                outbox.readings(), outbox.bytes(), duration(outbox.oldestAge(System.currentTimeMillis()).toNanos()),
                lastError);
    }

    /** {@code 42 s}, {@code 7 min 5 s}, {@code 3 h 2 min}: how long, for people. */
    static String duration(long nanos) {
        long s = Math.max(0, TimeUnit.NANOSECONDS.toSeconds(nanos));
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    /**
     * Delivers readings. A refusal that names the refused readings dead-letters exactly those; any other permanent
     * refusal is halved until each refused reading stands alone, and those go to the dead-letter file (halving
     * requests are not failed tries). A retriable failure at any depth is thrown: the whole batch stays queued (parts
     * already delivered will be delivered again, which at-least-once allows).
     */
    private void isolate(Sink s, List<EnrichedReading> readings, boolean historical) throws SinkException {
        try {
            s.deliver(readings, historical);
            delivered += readings.size();
        } catch (SinkException e) {
            if (e.isRetriable()) {
                throw e;
            }
            lastError = describe(e);
            if (!e.refused().isEmpty()) {
                // the sink says which readings were refused and that it delivered the rest: nothing is sent again
                for (EnrichedReading r : e.refused()) {
                    deadLetters.write(outbox.sinkName(), r, lastError);
                }
                deadLettered += e.refused().size();
                delivered += readings.size() - e.refused().size();
                return;
            }
            if (readings.size() == 1) {
                deadLetters.write(outbox.sinkName(), readings.get(0), lastError);
                deadLettered++;
                return;
            }
            int half = readings.size() / 2;
            isolate(s, readings.subList(0, half), historical);
            isolate(s, readings.subList(half, readings.size()), historical);
        }
    }

    private static String describe(SinkException e) {
        return e.getCause() == null ? e.getMessage() : e.getMessage() + " (" + e.getCause() + ")";
    }

    /** Updates delivered/s; called once a second or so by the pipeline's sweep. */
    void sampleRate() {
        long now = System.nanoTime();
        long d = delivered;
        double seconds = (now - rateNanos) / 1e9;
        if (seconds > 0) {
            rate = (d - rateDelivered) / seconds;
        }
        rateDelivered = d;
        rateNanos = now;
    }

    SinkStatus status() {
        SinkState state = sink == null ? SinkState.ABSENT : retrying ? SinkState.RETRYING : SinkState.UP;
        return SinkStatus.builder(outbox.sinkName(), state).delivered(delivered, rate).failedTries(failedTries)
                .deadLettered(deadLettered, deadLetterFile).dropped(outbox.dropped())
                .queued(outbox.readings(), outbox.bytes(), outbox.maxBytes(),
                        outbox.oldestAge(System.currentTimeMillis()))
                .lastError(lastError).lastDelivery(lastDelivery).build();
    }
}
