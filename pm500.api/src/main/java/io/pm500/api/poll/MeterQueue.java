package io.pm500.api.poll;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one meter's polls one after another on the shared pool. A block whose previous poll has not run yet is
 * not queued again: the cycle is counted as missed instead of piling up behind a slow meter.
 */
public final class MeterQueue {
    private final Executor pool;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong missed = new AtomicLong();

    public MeterQueue(Executor pool) {
        this.pool = pool;
    }

    /** Queues a block's poll unless the previous one of the same block is still waiting. */
    public void submit(String blockId, Runnable poll) {
        if (!pending.add(blockId)) {
            missed.incrementAndGet();
            return;
        }
        queue.add(() -> {
            pending.remove(blockId);
            poll.run();
        });
        drain();
    }

    /** Polls skipped because the previous one of their block had not run yet. */
    public long missed() {
        return missed.get();
    }

    private void drain() {
        if (running.compareAndSet(false, true)) {
            pool.execute(() -> {
                try {
                    for (Runnable next; (next = queue.poll()) != null;) {
                        next.run();
                    }
                } finally {
                    running.set(false);
                    if (!queue.isEmpty()) {
                        drain();
                    }
                }
            });
        }
    }
}
