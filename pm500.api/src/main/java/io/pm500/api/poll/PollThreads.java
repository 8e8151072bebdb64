package io.pm500.api.poll;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver's threads, shared by all its meters: one timer that keeps each block's fixed rate (no drift), and a
 * small pool that runs the blocking transactions. Each meter runs its polls one at a time ({@link MeterQueue}), so
 * a slow meter holds at most one pool thread and the thread count does not grow with the number of meters.
 * Threads are named {@code pm500-<driver>-timer-1}, {@code pm500-<driver>-io-N}.
 */
public final class PollThreads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PollThreads.class);

    private final String driver;
    /** Every thread the executors made: a stopped bundle must leave none behind, not even one still exiting. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final ExecutorService io;

    /**
     * @param driver    short driver name for thread names, e.g. {@code modbus}
     * @param ioThreads blocking transactions in flight at once across all meters
     */
    public PollThreads(String driver, int ioThreads) {
        this.driver = driver;
        timer = Executors.newSingleThreadScheduledExecutor(named("timer"));
        io = Executors.newFixedThreadPool(ioThreads, named("io"));
    }

    public ScheduledFuture<?> atFixedRate(Runnable task, long initialDelayMillis, long periodMillis) {
        return timer.scheduleAtFixedRate(task, initialDelayMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    public ExecutorService io() {
        return io;
    }

    /** Stops both executors and waits (at most 10 s) until every thread they made has ended. */
    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        io.shutdownNow();
        // An executor reports termination just before its last thread exits: wait for the threads themselves.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                LOG.warn("{} driver: thread {} did not end within 10 s", driver, t.getName());
            }
        }
    }

    private ThreadFactory named(String role) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "pm500-" + driver + "-" + role + "-" + n.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
    }
}
