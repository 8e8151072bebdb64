package io.pm500.api.poll;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 */
public final class ConnectionHealth {
    private static final long BACKOFF_BASE_MILLIS = 500;
    private static final long BACKOFF_CAP_MILLIS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHealth.class);

    private final String meterId;
    private final String driver;
    private final String endpoint;
    private final List<String> blocks;
    private final Map<String, Duration> intervals;
    private final int lostAfter;
    private final Clock clock;
    private long polls;
    private long failures;
    private int consecutiveFailures;
    private int backoffStep;
    private long nextAttemptNanos;
    private String lastError = "";
    private Duration lastLatency = Duration.ZERO;
    private Instant lastSuccess;
    private ConnectionState state = ConnectionState.CONNECTING;
    private volatile MeterStatus status;

    /**
     * @param driver    the driver's bundle symbolic name, for the status
     * @param endpoint  where the meter is read, for the status and logs
     * @param intervals the blocks polled and their intervals in ms (0 = once per connection), for the status
     * @param enabled   false publishes the meter as DISABLED
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

    /** A poll succeeded in {@code latencyNanos}. */
    public void succeeded(long latencyNanos) {
        if (state != ConnectionState.CONNECTED) {
            LOG.info("{} meter {}: {} ({} after {} failures)", driver, meterId,
                    state == ConnectionState.LOST ? "back" : "polling", endpoint, consecutiveFailures);
        }
        state = ConnectionState.CONNECTED;
        consecutiveFailures = 0;
        backoffStep = 0;
        lastLatency = Duration.ofNanos(latencyNanos);
        lastSuccess = clock.instant();
        publish(false);
    }

    /**
     * A poll failed.
     *
     * @param connectionClosed the driver closed the connection: the next attempt waits the backoff
     */
    public void failed(AcquisitionStatus status, String detail, boolean connectionClosed) {
        failures++;
        consecutiveFailures++;
        lastError = status + ": " + detail;
        if (connectionClosed) {
            long delay = Math.min(BACKOFF_CAP_MILLIS, BACKOFF_BASE_MILLIS << Math.min(backoffStep++, 16));
            delay += ThreadLocalRandom.current().nextLong(delay / 4 + 1);
            nextAttemptNanos = System.nanoTime() + delay * 1_000_000;
        }
        if (consecutiveFailures >= lostAfter && state != ConnectionState.LOST) {
            state = ConnectionState.LOST;
            LOG.warn("{} meter {}: lost after {} failed polls at {}: {}", driver, meterId, consecutiveFailures,
                    endpoint, lastError);
        } else if (state != ConnectionState.LOST) {
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

    private void publish(boolean disabled) {
        status = new MeterStatus(meterId, driver, endpoint, disabled ? ConnectionState.DISABLED : state, polls,
                failures, consecutiveFailures, lastError, lastLatency, lastSuccess, blocks, intervals);
    }
}
