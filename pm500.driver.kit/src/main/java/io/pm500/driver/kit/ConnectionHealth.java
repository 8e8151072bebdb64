package io.pm500.driver.kit;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.BlockPolls;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.PollTimes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter's connection state by the rules every driver follows: after a failure that closed the connection, the
 * next attempt waits a capped exponential backoff with jitter (0.5 s doubling to 30 s, +0–25 %); after
 * {@code lostAfter} consecutive failures the meter is LOST; the first good poll makes it CONNECTED. Tells the pipeline
 * (the {@link SampleConsumer}) of the meter's plan and of every change of state. Counts each block's
 * polls by result and the successful polls' round-trip times. Any thread may ask for a {@link MeterStatus}, made
 * when asked (a poll only updates counters, allocating nothing); the rest is for the meter's own (serial) poll
 * thread.
 * <p>
 * Faults are logged when they start, summarised every {@value #SUMMARY_MINUTES} minutes while they last and logged
 * when they clear, never once per poll: a device's refusal of one block (an exception code, a malformed reply) is
 * a fault of that block; a timeout or a broken connection is a fault of the connection; reconnecting more than
 * {@value #RECONNECTS_PER_MINUTE} times a minute while nothing else fails is a fault of its own.
 */
public final class ConnectionHealth {
    /** A reply slower than this puts the meter on its driver's slow lane ({@link MeterQueue}). */
    public static final long SLOW_REPLY_MILLIS = 250;
    /** More reconnects than this within a minute are reported. */
    public static final int RECONNECTS_PER_MINUTE = 5;
    static final int SUMMARY_MINUTES = 5;
    /** Fault keys besides the block ids (which are never blank). */
    private static final String CONNECTION = "";
    private static final String RECONNECTS = " reconnects";
    private static final long BACKOFF_BASE_MILLIS = 500;
    private static final long BACKOFF_CAP_MILLIS = 30_000;
    private static final long MINUTE_MILLIS = 60_000;
    private static final AcquisitionStatus[] RESULTS = AcquisitionStatus.values();
    private static final long[] BOUNDS_NANOS = PollTimes.BOUNDS_SECONDS.stream()
            .mapToLong(s -> Math.round(s * 1e9)).toArray();
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHealth.class);

    /** A fault that is going on: since when, how often, and when it was last reported. */
    private static final class Fault {
        final long sinceMillis;
        long count;
        long countSinceReport;
        long reportedMillis;
        String last;

        Fault(long now, String detail) {
            sinceMillis = now;
            count = 1;
            reportedMillis = now;
            last = detail;
        }
    }

    private final String meterId;
    private final String driver;
    private final String endpoint;
    private final List<String> blocks;
    private final Map<String, Duration> intervals;
    private final int lostAfter;
    private final Clock clock;
    private final Map<String, Fault> faults = new HashMap<>();
    /** When the last connections opened, newest last, to tell reconnect storms from the odd reconnect. */
    private final long[] connectTimes = new long[RECONNECTS_PER_MINUTE + 1];
    private final Map<String, Integer> blockIndex = new HashMap<>();
    /** Polls by block and result: {@code [block * RESULTS.length + result.ordinal()]}. */
    private final AtomicLongArray results;
    private final AtomicLongArray timeBuckets = new AtomicLongArray(BOUNDS_NANOS.length + 1);
    private int backoffStep;
    private long nextAttemptNanos;
    // written by the poll thread only, read by any thread asking for the status
    private volatile long polls;
    private volatile long failures;
    private volatile long connects;
    private volatile int consecutiveFailures;
    private volatile String lastError = "";
    private volatile long lastLatencyNanos;
    private volatile long lastSuccessMillis = -1;
    private volatile long timeSumNanos;
    private final SampleConsumer consumer;
    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile long stateSinceMillis;
    private volatile boolean disabled;
    private volatile boolean slow = true;
    /** Counts changes, so that a snapshot is made once per change however often it is asked for. */
    private volatile long changes;
    private volatile Snapshot snapshot;

    private record Snapshot(long version, MeterStatus status) {
    }

    /**
     * @param driver    the driver's bundle symbolic name, for the status
     * @param endpoint  where the meter is read, for the status and logs
     * @param intervals the blocks polled and their intervals in ms (0 = once per connection), for the status
     * @param enabled   false reports the meter as DISABLED
     * @param clock     for the status's times and the fault reports' pace
     * @param consumer  the pipeline, told of the plan ({@link #announce}), the state changes and the end
     */
    public ConnectionHealth(String meterId, String driver, String endpoint, Map<String, Long> intervals,
            int lostAfter, boolean enabled, Clock clock, SampleConsumer consumer) {
        this.meterId = meterId;
        this.consumer = consumer;
        this.blocks = List.copyOf(intervals.keySet());
        this.intervals = intervals.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> Duration.ofMillis(e.getValue())));
        this.driver = driver;
        this.endpoint = endpoint;
        this.lostAfter = lostAfter;
        this.clock = clock;
        for (String block : blocks) {
            blockIndex.put(block, blockIndex.size());
        }
        this.results = new AtomicLongArray(blocks.size() * RESULTS.length);
        this.disabled = !enabled;
        this.stateSinceMillis = clock.millis();
    }

    /** True while a failed connection's backoff has not passed: polls then report the outage without trying. */
    public boolean backingOff() {
        return System.nanoTime() - nextAttemptNanos < 0;
    }

    /** How long until the next connection attempt may be made; zero when due. */
    public Duration untilNextAttempt() {
        long nanos = nextAttemptNanos - System.nanoTime();
        return nanos <= 0 ? Duration.ZERO : Duration.ofNanos(nanos);
    }

    /**
     * True when the meter's next poll may block for long: it is not connected, its last poll timed out or lost
     * the connection, or its last reply took over {@value #SLOW_REPLY_MILLIS} ms. Any thread may ask.
     */
    public boolean slow() {
        return slow;
    }

    /**
     * The sample a periodic block's poll hands on while the backoff runs: {@code CONNECTION_LOST}, saying when the
     * next attempt is and why the last one failed.
     */
    public Sample outage(String blockId, Instant at) {
        return Sample.failed(meterId, blockId, at, AcquisitionStatus.CONNECTION_LOST, "not connected to " + endpoint
                + " (next attempt in " + untilNextAttempt().toMillis() + " ms): " + lastError);
    }

    /** A poll is about to talk to the meter. */
    public void pollStarted() {
        polls++;
        changes++;
    }

    /** The driver opened a connection (or session) to the meter. */
    public void connected() {
        long now = clock.millis();
        connects++;
        System.arraycopy(connectTimes, 1, connectTimes, 0, connectTimes.length - 1);
        connectTimes[connectTimes.length - 1] = now;
        // reconnects explained by another fault (timeouts, garbled replies) are that fault's; alone, they are news
        if (connects > connectTimes.length && now - connectTimes[0] < MINUTE_MILLIS
                && faults.size() == (faults.containsKey(RECONNECTS) ? 1 : 0)) {
            raise(RECONNECTS, "reconnects more than " + RECONNECTS_PER_MINUTE + " times a minute", "the device (or a"
                    + " firewall between) closes the connection; check its idle timeout and connection limit");
        }
        changes++;
    }

    /** A poll of {@code blockId} succeeded in {@code latencyNanos}. */
    public void succeeded(String blockId, long latencyNanos) {
        long now = clock.millis();
        if (lastSuccessMillis < 0) {
            LOG.info("{} meter {}: polling {}", driver, meterId, endpoint);
        }
        if (!faults.isEmpty()) { // a healthy meter's poll builds no messages
            cleared(CONNECTION, "reads " + endpoint + " again", now);
            cleared(blockId, "block " + blockId + " reads again", now);
            if (now - connectTimes[0] >= MINUTE_MILLIS) {
                cleared(RECONNECTS, "reconnects are back to at most " + RECONNECTS_PER_MINUTE + " a minute", now);
            }
        }
        state(ConnectionState.CONNECTED, now);
        consecutiveFailures = 0;
        backoffStep = 0;
        lastLatencyNanos = latencyNanos;
        lastSuccessMillis = now;
        slow = latencyNanos > SLOW_REPLY_MILLIS * 1_000_000;
        count(blockId, AcquisitionStatus.OK);
        int bucket = 0;
        while (bucket < BOUNDS_NANOS.length && latencyNanos > BOUNDS_NANOS[bucket]) {
            bucket++;
        }
        timeBuckets.lazySet(bucket, timeBuckets.get(bucket) + 1);
        timeSumNanos += latencyNanos;
        changes++;
    }

    /**
     * A poll of {@code blockId} failed.
     *
     * @param connectionClosed the driver closed the connection: the next attempt waits the backoff
     */
    public void failed(String blockId, AcquisitionStatus status, String detail, boolean connectionClosed) {
        long now = clock.millis();
        failures++;
        consecutiveFailures++;
        count(blockId, status);
        lastError = status + ": " + detail;
        boolean transport = status == AcquisitionStatus.TIMEOUT || status == AcquisitionStatus.CONNECTION_LOST;
        if (transport) {
            slow = true;
        }
        // the device answered (and refused) or garbled one block: that block's fault; no answer: the connection's
        raise(transport ? CONNECTION : blockId, transport ? "cannot read " + endpoint : "block " + blockId + " fails",
                lastError);
        if (connectionClosed) {
            long delay = Math.min(BACKOFF_CAP_MILLIS, BACKOFF_BASE_MILLIS << Math.min(backoffStep++, 16));
            delay += ThreadLocalRandom.current().nextLong(delay / 4 + 1);
            nextAttemptNanos = System.nanoTime() + delay * 1_000_000;
        }
        if (consecutiveFailures >= lostAfter && state != ConnectionState.LOST) {
            state(ConnectionState.LOST, now);
            LOG.warn("{} meter {}: lost after {} failed polls at {}: {}", driver, meterId, consecutiveFailures,
                    endpoint, lastError);
        } else if (state != ConnectionState.LOST && (connectionClosed || state != ConnectionState.CONNECTED)) {
            state(ConnectionState.CONNECTING, now);
        }
        changes++;
    }

    /** Tells the pipeline what the driver reads of the meter, decoded with this profile; before the first poll. */
    public void announce(DeviceProfile profile) {
        Map<String, Duration> inOrder = new LinkedHashMap<>();
        blocks.forEach(b -> inOrder.put(b, intervals.get(b)));
        consumer.announce(MeterPlan.of(meterId, driver, profile, inOrder));
    }

    /** Reports the meter as DISABLED (stopped or switched off); the pipeline is told the driver no longer reads it. */
    public void disabled() {
        disabled = true;
        stateSinceMillis = clock.millis();
        changes++;
        consumer.withdraw(meterId, driver);
    }

    /**
     * A snapshot, made at the first request after a change (a sink's birth of 200 meters asks for each meter's
     * status many times); the counters of a poll under way may be half in it.
     */
    public MeterStatus status() {
        long version = changes;
        Snapshot last = snapshot;
        if (last != null && last.version() == version) {
            return last.status();
        }
        MeterStatus status = build();
        snapshot = new Snapshot(version, status);
        return status;
    }

    private MeterStatus build() {
        List<BlockPolls> byBlock = new ArrayList<>(blocks.size());
        for (int b = 0; b < blocks.size(); b++) {
            Map<AcquisitionStatus, Long> counts = new EnumMap<>(AcquisitionStatus.class);
            for (AcquisitionStatus r : RESULTS) {
                long n = results.get(b * RESULTS.length + r.ordinal());
                if (n > 0) {
                    counts.put(r, n);
                }
            }
            byBlock.add(new BlockPolls(blocks.get(b), counts));
        }
        List<Long> buckets = new ArrayList<>(timeBuckets.length());
        for (int i = 0; i < timeBuckets.length(); i++) {
            buckets.add(timeBuckets.get(i));
        }
        long success = lastSuccessMillis;
        return MeterStatus.builder(meterId, driver, endpoint)
                .state(disabled ? ConnectionState.DISABLED : state, Instant.ofEpochMilli(stateSinceMillis))
                .polls(polls, failures, consecutiveFailures).reconnects(Math.max(0, connects - 1)).lastError(lastError)
                .lastSuccess(Duration.ofNanos(lastLatencyNanos), success < 0 ? null : Instant.ofEpochMilli(success))
                .blocks(blocks, intervals).pollResults(byBlock, new PollTimes(buckets, timeSumNanos / 1e9)).build();
    }

    private void state(ConnectionState next, long now) {
        if (state != next) {
            state = next;
            stateSinceMillis = now;
            try {
                consumer.connection(meterId, driver, next);
            } catch (RuntimeException e) {
                // the pipeline could not stamp the meter's values (its disk); the next change tells it again
                LOG.warn("Meter {}: the pipeline did not take the change to {}: {}", meterId, next, e.toString());
            }
        }
    }

    private void count(String blockId, AcquisitionStatus result) {
        Integer b = blockIndex.get(blockId);
        if (b != null) { // a sample of a block the meter is not configured for has no counter
            int i = b * RESULTS.length + result.ordinal();
            results.lazySet(i, results.get(i) + 1);
        }
    }

    private void raise(String key, String what, String detail) {
        long now = clock.millis();
        Fault fault = faults.get(key);
        if (fault == null) {
            faults.put(key, new Fault(now, detail));
            LOG.warn("{} meter {}: {}: {}", driver, meterId, what, detail);
            return;
        }
        fault.count++;
        fault.countSinceReport++;
        fault.last = detail;
        if (now - fault.reportedMillis >= SUMMARY_MINUTES * MINUTE_MILLIS) {
            LOG.warn("{} meter {}: {} still: {} times in the last {} min, {} since {}; last: {}", driver, meterId, what,
                    fault.countSinceReport, (now - fault.reportedMillis) / MINUTE_MILLIS, fault.count,
                    Instant.ofEpochMilli(fault.sinceMillis), fault.last);
            fault.reportedMillis = now;
            fault.countSinceReport = 0;
        }
    }

    private void cleared(String key, String what, long now) {
        Fault fault = faults.remove(key);
        if (fault != null) {
            LOG.info("{} meter {}: {} (the fault lasted {} s, {} times)", driver, meterId, what,
                    (now - fault.sinceMillis) / 1000, fault.count);
        }
    }
}
