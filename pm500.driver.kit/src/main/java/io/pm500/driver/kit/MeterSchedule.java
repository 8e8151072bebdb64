package io.pm500.driver.kit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One meter's polls on a driver's threads: each block at its own fixed rate in a slot of the driver's
 * {@link PollGrid} (blocks of many meters due together), all of them through one {@link MeterQueue} (one poll at a
 * time). A block read once per connection (interval 0) is offered every second; its poll decides whether there is
 * anything to read. The queue puts the polls on the fast or the slow lane as the meter's health says.
 */
public final class MeterSchedule implements AutoCloseable {
    /** A block to poll: its id, its interval (0 = once per connection) and the poll. */
    public record Block(String id, long intervalMillis, Runnable poll) {
    }

    private final List<ScheduledFuture<?>> schedules = new ArrayList<>();
    private final List<PollGrid.Slot> slots = new ArrayList<>();
    private final PollGrid grid;
    private final MeterQueue queue;

    private MeterSchedule(PollThreads threads, List<Block> blocks, BooleanSupplier slow, String address) {
        grid = threads.grid();
        queue = new MeterQueue(threads.io(), threads.slowLane(), slow);
        for (Block block : blocks) {
            PollGrid.Slot slot = grid.join(PollBlock.periodMillis(block.intervalMillis()), address);
            slots.add(slot);
            long minGapNanos = PollBlock.minGapNanos(block.intervalMillis());
            Runnable submit = () -> queue.submit(block.id(), block.poll(), minGapNanos);
            long now = System.nanoTime();
            long first = grid.firstNanos(slot, now);
            long next = grid.nextNanos(slot, now - 1); // at or after now
            if (first != next) { // a period over a second: first polled within one, then at its slot
                schedules.add(threads.once(submit, TimeUnit.NANOSECONDS.toMillis(first - now)));
                while (next - first < minGapNanos) { // too soon after (or before) the first: skipped, and counted
                    next += TimeUnit.MILLISECONDS.toNanos(slot.periodMillis());
                }
            }
            schedules.add(threads.atFixedRate(submit, TimeUnit.NANOSECONDS.toMillis(next - now),
                    slot.periodMillis()));
        }
    }

    /**
     * @param slow    whether the meter's polls may block now (its {@link ConnectionHealth#slow()})
     * @param address where its requests go ({@link PollGrid#join})
     */
    public static MeterSchedule start(PollThreads threads, List<Block> blocks, BooleanSupplier slow,
            String address) {
        return new MeterSchedule(threads, blocks, slow, address);
    }

    /** Runs a task on the meter's queue unless it is waiting there already ({@link MeterQueue#offer}). */
    public void offer(Runnable task) {
        queue.offer(task);
    }

    /** Polls skipped because the previous one of their block had not run yet, or had only just run. */
    public long missed() {
        return queue.missed();
    }

    /** Cancels every schedule and leaves the grid; a poll already running finishes. */
    @Override
    public void close() {
        schedules.forEach(f -> f.cancel(false));
        schedules.clear();
        slots.forEach(grid::leave);
        slots.clear();
    }
}
