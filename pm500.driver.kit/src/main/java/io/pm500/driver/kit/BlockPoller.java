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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter polled by the rules every driver follows; a driver adds only its protocol: read a block (opening the
 * connection when there is none), classify a failure, close the connection. The rules: a block read once per
 * connection is read once per connection; while a failed connection's backoff lasts, each periodic poll reports the
 * outage without trying; a timeout or a broken connection closes the connection and starts a backoff; every outcome
 * goes to {@link ConnectionHealth} (state, counts, fault reports, the pipeline told) and every sample to the pipeline.
 * Polls of one meter run one at a time (the meter's {@link MeterSchedule} sees to it; the methods are synchronized
 * besides).
 *
 * @param <B> the driver's block plan
 */
public abstract class BlockPoller<B extends PollBlock> {
    private static final Logger LOG = LoggerFactory.getLogger(BlockPoller.class);

    private final String meterId;
    private final String protocol;
    private final String endpoint;
    private final boolean enabled;
    private final ConnectionHealth health;
    private final SampleConsumer consumer;
    private final Clock clock;
    private final Set<String> readThisConnection = new HashSet<>();
    private volatile MeterSchedule schedule; // read by the threads data arrives on
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
    protected BlockPoller(String meterId, String protocol, String driver, String endpoint, Map<String, Long> intervals,
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

    /**
     * Reads one block, opening the connection first when there is none (then calling {@link #opened}); {@code null}
     * when the poll had nothing to read because the meter sends the block's data by itself ({@link #arrivals}).
     */
    protected abstract Sample read(B block) throws Exception;

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
    protected final void opened() {
        readThisConnection.clear();
        health.connected();
    }

    protected final String meterId() {
        return meterId;
    }

    protected final Instant now() {
        return clock.instant();
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

    /**
     * For data the meter sends by itself (EtherNet/IP Class 1): the returned task may run on any thread, as often as
     * data arrives; it has {@code take} run on the meter's queue, one at a time with the polls, unless a run is
     * waiting already (which then takes the newest data). A sample {@code take} gives (an OK one, or null: nothing
     * new) counts as a successful read of the block and goes to the pipeline.
     */
    protected final Runnable arrivals(String blockId, Supplier<Sample> take) {
        Runnable onQueue = () -> took(blockId, take);
        return () -> {
            MeterSchedule s = schedule;
            if (s != null) {
                s.offer(onQueue);
            }
        };
    }

    private synchronized void took(String blockId, Supplier<Sample> take) {
        if (closed) {
            return;
        }
        Sample sample = take.get();
        if (sample != null) {
            health.succeeded(blockId, 0);
            deliver(sample);
        }
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

    /** Polls one block: connects if needed, reads, decodes, hands the sample on. */
    public final synchronized void poll(B block) {
        if (closed) {
            return;
        }
        boolean replaced = droppedEnded();
        boolean oncePerConnection = block.intervalMillis() == 0;
        if (oncePerConnection && readThisConnection.contains(block.blockId())) {
            return;
        }
        if (!isOpen() && health.backingOff() && !replaced) {
            if (!oncePerConnection) { // a once-per-connection block waits for the connection
                deliver(health.outage(block.blockId(), now()));
            }
            return;
        }
        health.pollStarted();
        long t0 = System.nanoTime();
        Sample sample;
        try {
            sample = read(block);
        } catch (Exception e) {
            PollFailure f = e instanceof PollFailure own ? own : classify(e);
            sample = Sample.failed(meterId, block.blockId(), now(), f.status(), f.detail());
        }
        if (sample == null) {
            return;
        }
        if (sample.status().isOk()) {
            health.succeeded(block.blockId(), System.nanoTime() - t0);
            readThisConnection.add(block.blockId());
        } else {
            failed(sample);
        }
        deliver(sample);
    }

    private void failed(Sample sample) {
        AcquisitionStatus status = sample.status();
        // a timeout or a broken (or never opened) connection: reconnect after a backoff
        boolean backOff = !isOpen() || status == AcquisitionStatus.TIMEOUT
                || status == AcquisitionStatus.CONNECTION_LOST;
        if (backOff || closesConnection(status)) {
            disconnect();
        }
        health.failed(sample.blockId(), status, sample.detail(), backOff);
    }

    /** Starts polling each block on its schedule, on these threads; a disabled meter is only reported. */
    public final synchronized void start(PollThreads threads, List<B> blocks) {
        if (!enabled) {
            LOG.info("{} meter {}: disabled", protocol, meterId);
            return;
        }
        schedule = MeterSchedule.start(threads, blocks.stream()
                .map(b -> new MeterSchedule.Block(b.blockId(), b.intervalMillis(), () -> poll(b))).toList(),
                this::slow);
        LOG.info("{} meter {}: polling {} ({})", protocol, meterId, endpoint,
                blocks.stream().map(PollBlock::describe).toList());
    }

    /**
     * Stops the schedule and closes the connection; no poll runs after this returns. The pipeline is told the meter
     * is no longer read.
     */
    public final void close() {
        MeterSchedule s;
        synchronized (this) {
            s = schedule;
            schedule = null;
        }
        if (s != null) {
            s.close(); // outside the monitor: a poll under way holds it, and the schedule waits for that poll
        }
        synchronized (this) {
            closed = true;
            disconnect();
            health.disabled();
        }
    }
}
