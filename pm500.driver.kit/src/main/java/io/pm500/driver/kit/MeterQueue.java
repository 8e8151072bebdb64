package io.pm500.driver.kit;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Runs one meter's polls one after another on its driver's shared threads. A block whose previous poll has not run
 * yet is not queued again, nor one whose previous poll started too recently (it ran late, behind a connection being
 * opened: the next is not sent right after it): the cycle is counted as missed instead of piling up behind a slow
 * meter or bursting after it.
 * <p>
 * Two lanes keep a slow meter from costing the others their polls: while the meter answers promptly its polls run
 * on the fast lane (a few threads shared by every meter); while it is slow (not connected, timing out, replying
 * late, see {@link ConnectionHealth#slow()}) they run on the slow lane, where a blocked poll holds a thread of its
 * own. A meter that turns slow during a run hands the rest of its queue to the slow lane.
 */
public final class MeterQueue {
    private final Executor fast;
    private final Executor slowLane;
    private final BooleanSupplier slow;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final Set<Runnable> offered = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> started = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong missed = new AtomicLong();

    /**
     * @param fast     the lane for a meter that answers promptly
     * @param slowLane the lane for a meter whose polls may block
     * @param slow     whether the meter's polls may block now
     */
    public MeterQueue(Executor fast, Executor slowLane, BooleanSupplier slow) {
        this.fast = fast;
        this.slowLane = slowLane;
        this.slow = slow;
    }

    /**
     * Queues a block's poll unless the previous one of the same block is still waiting or started less than
     * {@code minGapNanos} ago.
     */
    public void submit(String blockId, Runnable poll, long minGapNanos) {
        AtomicLong last = started.get(blockId);
        if (last == null) {
            last = started.computeIfAbsent(blockId, b -> new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2));
        }
        if (System.nanoTime() - last.get() < minGapNanos || !pending.add(blockId)) {
            missed.incrementAndGet();
            return;
        }
        AtomicLong startedAt = last;
        queue.add(() -> {
            pending.remove(blockId);
            startedAt.set(System.nanoTime());
            poll.run();
        });
        drain();
    }

    /**
     * Queues a task unless the same task is still waiting: for data the meter sends by itself, whose waiting task
     * takes the newest data when it runs (nothing piles up behind a busy meter; nothing counts as missed).
     */
    public void offer(Runnable task) {
        if (!offered.add(task)) {
            return;
        }
        queue.add(() -> {
            offered.remove(task);
            task.run();
        });
        drain();
    }

    /** Polls skipped because the previous one of their block had not run yet, or had only just run. */
    public long missed() {
        return missed.get();
    }

    private void drain() {
        if (running.compareAndSet(false, true)) {
            boolean onSlowLane = slow.getAsBoolean();
            (onSlowLane ? slowLane : fast).execute(() -> run(onSlowLane));
        }
    }

    private void run(boolean onSlowLane) {
        try {
            for (Runnable next; (next = queue.poll()) != null;) {
                next.run();
                if (!onSlowLane && slow.getAsBoolean()) {
                    break; // turned slow: the rest waits on the slow lane, not in front of other meters
                }
            }
        } finally {
            running.set(false);
            if (!queue.isEmpty()) {
                drain();
            }
        }
    }
}
