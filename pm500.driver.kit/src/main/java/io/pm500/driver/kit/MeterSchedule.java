package io.pm500.driver.kit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BooleanSupplier;

/**
 * One meter's polls on a driver's threads: each block at its own fixed rate, the first run jittered so meters do
 * not fire together, all of them through one {@link MeterQueue} (one poll at a time). A block read once per
 * connection (interval 0) is offered every second; its poll decides whether there is anything to read. The queue
 * puts the polls on the fast or the slow lane as the meter's health says.
 */
public final class MeterSchedule implements AutoCloseable {
    /** A block to poll: its id, its interval (0 = once per connection) and the poll. */
    public record Block(String id, long intervalMillis, Runnable poll) {
    }

    private final List<ScheduledFuture<?>> schedules = new ArrayList<>();
    private final MeterQueue queue;

    private MeterSchedule(PollThreads threads, List<Block> blocks, BooleanSupplier slow) {
        queue = new MeterQueue(threads.io(), threads.slowLane(), slow);
        for (Block block : blocks) {
            long period = PollBlock.periodMillis(block.intervalMillis());
            long jitter = PollBlock.firstDelayMillis(period);
            long minGapNanos = PollBlock.minGapNanos(block.intervalMillis());
            schedules.add(threads.atFixedRate(() -> queue.submit(block.id(), block.poll(), minGapNanos), jitter,
                    period));
        }
    }

    /**
     * @param slow whether the meter's polls may block now (its {@link ConnectionHealth#slow()})
     */
    public static MeterSchedule start(PollThreads threads, List<Block> blocks, BooleanSupplier slow) {
        return new MeterSchedule(threads, blocks, slow);
    }

    /** Runs a task on the meter's queue unless it is waiting there already ({@link MeterQueue#offer}). */
    public void offer(Runnable task) {
        queue.offer(task);
    }

    /** Polls skipped because the previous one of their block had not run yet, or had only just run. */
    public long missed() {
        return queue.missed();
    }

    /** Cancels every schedule; a poll already running finishes. */
    @Override
    public void close() {
        schedules.forEach(f -> f.cancel(false));
        schedules.clear();
    }
}
