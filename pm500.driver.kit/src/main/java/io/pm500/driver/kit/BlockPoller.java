package io.pm500.driver.kit;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A meter whose driver blocks for its replies, polled by the {@link PollRules} on a driver's {@link PollThreads}; a
 * driver adds only its protocol: read a block (opening the connection when there is none), classify a failure,
 * close the connection. Polls of one meter run one at a time (the meter's {@link MeterSchedule} sees to it; the
 * methods are synchronized besides).
 *
 * @param <B> the driver's block plan
 */
public abstract class BlockPoller<B extends PollBlock> extends PollRules<B> {
    private volatile MeterSchedule schedule; // read by the threads data arrives on

    /** See {@link PollRules#PollRules}. */
    protected BlockPoller(String meterId, String protocol, String driver, String endpoint, Map<String, Long> intervals,
            int lostAfter, boolean enabled, DeviceProfile profile, SampleConsumer consumer, Clock clock) {
        super(meterId, protocol, driver, endpoint, intervals, lostAfter, enabled, profile, consumer, clock);
    }

    /**
     * Reads one block, opening the connection first when there is none (then calling {@link #opened}); {@code null}
     * when the poll had nothing to read because the meter sends the block's data by itself ({@link #arrivals}).
     */
    protected abstract Sample read(B block) throws Exception;

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
        if (!closed()) {
            arrived(blockId, take.get());
        }
    }

    /** Polls one block: connects if needed, reads, decodes, hands the sample on. */
    public final synchronized void poll(B block) {
        if (!begin(block)) {
            return;
        }
        long t0 = System.nanoTime();
        Sample sample;
        try {
            sample = read(block);
        } catch (Exception e) {
            sample = failed(block, e);
        }
        end(block, sample, t0);
    }

    /** Starts polling each block on its schedule, on these threads; a disabled meter is only reported. */
    public final synchronized void start(PollThreads threads, List<B> blocks) {
        logStart(blocks);
        if (enabled()) {
            schedule = MeterSchedule.start(threads, blocks.stream()
                    .map(b -> new MeterSchedule.Block(b.blockId(), b.intervalMillis(), () -> poll(b))).toList(),
                    this::slow, endpoint());
        }
    }

    /**
     * Stops the schedule and closes the connection; no poll runs after this returns. The pipeline is told the meter
     * is no longer read.
     */
    @Override
    public final void close() {
        MeterSchedule s;
        synchronized (this) {
            s = schedule;
            schedule = null;
        }
        if (s != null) {
            s.close(); // outside the monitor: a poll under way holds it, and the schedule waits for that poll
        }
        closeRules();
    }
}
