package io.pm500.driver.kit;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver's threads, shared by all its meters: one timer that keeps each block's fixed rate (no drift), a small
 * pool (the fast lane) that runs the transactions of meters that answer promptly, and the slow lane for meters
 * whose polls may block (not connected, timing out): threads made as such polls need them, up to a limit, and
 * ended after {@value #SLOW_LANE_IDLE_SECONDS} s idle. Each meter runs its polls one at a time ({@link MeterQueue}),
 * so a slow meter holds at most one slow-lane thread and never a fast-lane one for longer than one poll.
 * Threads are named {@code pm500-<driver>-timer-1}, {@code pm500-<driver>-io-N}, {@code pm500-<driver>-slow-N}.
 */
public final class PollThreads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PollThreads.class);

    private final String driver;
    /** Every thread the executors made: a stopped bundle must leave none behind, not even one still exiting. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final ExecutorService io;
    private final ThreadPoolExecutor slowLane;
    private final PollGrid grid = new PollGrid();

    static final int SLOW_LANE_IDLE_SECONDS = 30;

    /**
     * @param driver          short driver name for thread names, e.g. {@code modbus}
     * @param ioThreads       the fast lane: transactions of prompt meters in flight at once across all meters
     * @param slowLaneThreads the slow lane: polls of slow meters that may block at once; more wait for a thread
     */
    public PollThreads(String driver, int ioThreads, int slowLaneThreads) {
        this.driver = driver;
        timer = Executors.newSingleThreadScheduledExecutor(named("timer"));
        io = Executors.newFixedThreadPool(ioThreads, named("io"));
        slowLane = new ThreadPoolExecutor(slowLaneThreads, slowLaneThreads, SLOW_LANE_IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), named("slow"));
        slowLane.allowCoreThreadTimeOut(true);
    }

    public ScheduledFuture<?> once(Runnable task, long delayMillis) {
        return timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    public ScheduledFuture<?> atFixedRate(Runnable task, long initialDelayMillis, long periodMillis) {
        return timer.scheduleAtFixedRate(task, initialDelayMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Where in their periods the driver's blocks are polled. */
    public PollGrid grid() {
        return grid;
    }

    public ExecutorService io() {
        return io;
    }

    public ExecutorService slowLane() {
        return slowLane;
    }

    /** Stops both executors and waits (at most 10 s) until every thread they made has ended. */
    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        io.shutdownNow();
        slowLane.shutdownNow();
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
            threads.removeIf(old -> old.getState() == Thread.State.TERMINATED); // slow-lane threads come and go
            threads.add(t);
            return t;
        };
    }
}
