package io.pm500.driver.kit;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.MeterStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules every driver's meter is polled by, whatever runs the polls (a driver that blocks for its replies uses
 * {@link BlockPoller}; one that waits on a selector calls {@link #begin} and {@link #end} itself). The rules: a block
 * read once per connection is read once per connection; while a failed connection's backoff lasts, each periodic
 * poll reports the outage without trying; a timeout or a broken connection closes the connection and starts a
 * backoff; every outcome goes to {@link ConnectionHealth} (state, counts, fault reports, the pipeline told) and
 * every sample to the pipeline. Nothing is delivered once {@link #closeRules()} has run: the methods share the
 * object's monitor, which a driver also holds while it changes the connection.
 *
 * @param <B> the driver's block plan
 */
public abstract class PollRules<B extends PollBlock> {
    private static final Logger LOG = LoggerFactory.getLogger(PollRules.class);

    private final String meterId;
    private final String protocol;
    private final String endpoint;
    private final boolean enabled;
    private final ConnectionHealth health;
    private final SampleConsumer consumer;
    private final Clock clock;
    private final Set<String> readThisConnection = new HashSet<>();
    private boolean closed;

    /**
     * Announces the meter to the pipeline ({@link ConnectionHealth#announce}).
     *
     * @param protocol  how logs name the driver's meters, e.g. {@code Modbus} ("Modbus meter m1: …")
     * @param driver    the driver's bundle symbolic name
     * @param endpoint  where the meter is read, for the status and logs
     * @param intervals the blocks polled and their intervals in ms (0 = once per connection), in poll order
     * @param profile   the profile the driver decodes with
     */
    protected PollRules(String meterId, String protocol, String driver, String endpoint, Map<String, Long> intervals,
            int lostAfter, boolean enabled, DeviceProfile profile, SampleConsumer consumer, Clock clock) {
        this.meterId = meterId;
        this.protocol = protocol;
        this.endpoint = endpoint;
        this.enabled = enabled;
        this.consumer = consumer;
        this.clock = clock;
        this.health = new ConnectionHealth(meterId, driver, endpoint, intervals, lostAfter, enabled, clock, consumer);
        health.announce(profile);
    }

    /** Whether a connection is open. */
    protected abstract boolean isOpen();

    /** Closes the connection, if any, without waiting on the meter. */
    protected abstract void disconnect();

    /** What a library's exception means: the outcome, and a description naming the cause and the fix. */
    protected abstract PollFailure classify(Exception e);

    /**
     * Called before each poll: drops a connection that ended while idle (the device closed it) and says so; the poll
     * then opens a new one at once, without a backoff, since no request was lost. By default nothing is checked.
     */
    protected boolean droppedEnded() {
        return false;
    }

    /** Whether a failure of this kind closes the connection though it needs no backoff (to resynchronise). */
    protected boolean closesConnection(AcquisitionStatus status) {
        return false;
    }

    /** The driver opened a connection: blocks read once per connection are due again. */
    protected final synchronized void opened() {
        readThisConnection.clear();
        health.connected();
    }

    protected final String meterId() {
        return meterId;
    }

    protected final boolean enabled() {
        return enabled;
    }

    protected final Instant now() {
        return clock.instant();
    }

    /** Where the meter is read, as logs show it. */
    protected final String endpoint() {
        return endpoint;
    }

    /** Whether {@link #closeRules()} has run: nothing more is read or delivered. */
    protected final synchronized boolean closed() {
        return closed;
    }

    /** Hands a sample to the pipeline; one it refuses is logged, and the poll loop goes on. */
    protected final void deliver(Sample sample) {
        try {
            consumer.accept(sample);
        } catch (RuntimeException e) {
            LOG.error("{} meter {}: the pipeline did not take a sample of block {}: {}", protocol, meterId,
                    sample.blockId(), e.toString());
        }
    }

    /** Data the meter sent by itself: a sample (OK, or null: nothing new) counts as a successful read. */
    protected final synchronized void arrived(String blockId, Sample sample) {
        if (closed || sample == null) {
            return;
        }
        health.succeeded(blockId, 0);
        deliver(sample);
    }

    public final MeterStatus status() {
        return health.status();
    }

    /** Whether the next poll may block for long; any thread may ask (see {@link ConnectionHealth#slow()}). */
    public final boolean slow() {
        return health.slow();
    }

    /** How long until the next connection attempt; zero when connected or due. */
    public final synchronized Duration reconnectDelay() {
        return isOpen() ? Duration.ZERO : health.untilNextAttempt();
    }

    /**
     * Starts a poll of {@code block} by the rules: true when the driver is to read it now (connecting first when
     * there is no connection). False when there is nothing to do: the meter is closed, the block was read on this
     * connection already, or a backoff runs (a periodic block's outage is then delivered).
     */
    protected final synchronized boolean begin(B block) {
        if (closed) {
            return false;
        }
        boolean replaced = droppedEnded();
        boolean oncePerConnection = block.intervalMillis() == 0;
        if (oncePerConnection && readThisConnection.contains(block.blockId())) {
            return false;
        }
        if (!isOpen() && health.backingOff() && !replaced) {
            if (!oncePerConnection) { // a once-per-connection block waits for the connection
                deliver(health.outage(block.blockId(), now()));
            }
            return false;
        }
        health.pollStarted();
        return true;
    }

    /**
     * Ends a poll {@link #begin} started: counts it, closes the connection after a failure that needs it (starting
     * a backoff after a timeout or a lost connection) and delivers the sample; {@code null} (nothing to deliver)
     * only ends it.
     *
     * @param startNanos {@link System#nanoTime()} when the poll began, for the latency
     */
    protected final synchronized void end(B block, Sample sample, long startNanos) {
        if (closed || sample == null) {
            return;
        }
        if (sample.status().isOk()) {
            health.succeeded(block.blockId(), System.nanoTime() - startNanos);
            readThisConnection.add(block.blockId());
        } else {
            AcquisitionStatus status = sample.status();
            // a timeout or a broken (or never opened) connection: reconnect after a backoff
            boolean backOff = !isOpen() || status == AcquisitionStatus.TIMEOUT
                    || status == AcquisitionStatus.CONNECTION_LOST;
            if (backOff || closesConnection(status)) {
                disconnect();
            }
            health.failed(sample.blockId(), status, sample.detail(), backOff);
        }
        deliver(sample);
    }

    /** The failed sample of a poll of {@code block} that threw {@code e}. */
    protected final Sample failed(B block, Exception e) {
        PollFailure f = e instanceof PollFailure own ? own : classify(e);
        return Sample.failed(meterId, block.blockId(), now(), f.status(), f.detail());
    }

    /** Ends the rules: closes the connection, delivers nothing more, tells the pipeline the meter is not read. */
    protected final synchronized void closeRules() {
        closed = true;
        disconnect();
        health.disabled();
    }

    /** Stops polling and {@linkplain #closeRules() ends the rules}: no poll runs after this returns. */
    public abstract void close();

    /** Logs that the meter is disabled or polled, and how. */
    protected final void logStart(java.util.List<? extends PollBlock> blocks) {
        if (enabled) {
            LOG.info("{} meter {}: polling {} ({})", protocol, meterId, endpoint,
                    blocks.stream().map(PollBlock::describe).toList());
        } else {
            LOG.info("{} meter {}: disabled", protocol, meterId);
        }
    }
}
