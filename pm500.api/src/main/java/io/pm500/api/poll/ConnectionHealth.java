package io.pm500.api.poll;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter's connection state by the rules every driver follows: after a failure that closed the connection, the
 * next attempt waits a capped exponential backoff with jitter (0.5 s doubling to 30 s, +0–25 %); after
 * {@code lostAfter} consecutive failures the meter is LOST; the first good poll makes it CONNECTED. Publishes an
 * immutable {@link MeterStatus} any thread may read; the rest is for the meter's own (serial) poll thread.
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
    private long polls;
    private long failures;
    private long connects;
    private int consecutiveFailures;
    private int backoffStep;
    private long nextAttemptNanos;
    private String lastError = "";
    private Duration lastLatency = Duration.ZERO;
    private Instant lastSuccess;
    private ConnectionState state = ConnectionState.CONNECTING;
    private volatile boolean slow = true;
    private volatile MeterStatus status;

    /**
     * @param driver    the driver's bundle symbolic name, for the status
     * @param endpoint  where the meter is read, for the status and logs
     * @param intervals the blocks polled and their intervals in ms (0 = once per connection), for the status
     * @param enabled   false publishes the meter as DISABLED
     * @param clock     for the status's times and the fault reports' pace
     */
    public ConnectionHealth(String meterId, String driver, String endpoint, Map<String, Long> intervals,
            int lostAfter, boolean enabled, Clock clock) {
        this.meterId = meterId;
        this.blocks = List.copyOf(intervals.keySet());
        this.intervals = intervals.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> Duration.ofMillis(e.getValue())));
        this.driver = driver;
        this.endpoint = endpoint;
        this.lostAfter = lostAfter;
        this.clock = clock;
        publish(!enabled);
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
        publish(false);
    }

    /** A poll of {@code blockId} succeeded in {@code latencyNanos}. */
    public void succeeded(String blockId, long latencyNanos) {
        long now = clock.millis();
        if (lastSuccess == null) {
            LOG.info("{} meter {}: polling {}", driver, meterId, endpoint);
        }
        if (!faults.isEmpty()) { // a healthy meter's poll builds no messages
            cleared(CONNECTION, "reads " + endpoint + " again", now);
            cleared(blockId, "block " + blockId + " reads again", now);
            if (now - connectTimes[0] >= MINUTE_MILLIS) {
                cleared(RECONNECTS, "reconnects are back to at most " + RECONNECTS_PER_MINUTE + " a minute", now);
            }
        }
        state = ConnectionState.CONNECTED;
        consecutiveFailures = 0;
        backoffStep = 0;
        lastLatency = Duration.ofNanos(latencyNanos);
        lastSuccess = clock.instant();
        slow = lastLatency.toMillis() > SLOW_REPLY_MILLIS;
        publish(false);
    }

    /**
     * A poll of {@code blockId} failed.
     *
     * @param connectionClosed the driver closed the connection: the next attempt waits the backoff
     */
    public void failed(String blockId, AcquisitionStatus status, String detail, boolean connectionClosed) {
        failures++;
        consecutiveFailures++;
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
            state = ConnectionState.LOST;
            LOG.warn("{} meter {}: lost after {} failed polls at {}: {}", driver, meterId, consecutiveFailures,
                    endpoint, lastError);
        } else if (state != ConnectionState.LOST && (connectionClosed || state != ConnectionState.CONNECTED)) {
            state = ConnectionState.CONNECTING;
        }
        publish(false);
    }

    /** Publishes the meter as DISABLED (stopped or switched off). */
    public void disabled() {
        publish(true);
    }

    public MeterStatus status() {
        return status;
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

    private void publish(boolean disabled) {
        status = new MeterStatus(meterId, driver, endpoint, disabled ? ConnectionState.DISABLED : state, polls,
                failures, consecutiveFailures, Math.max(0, connects - 1), lastError, lastLatency, lastSuccess, blocks,
                intervals);
    }
}
