package io.pm500.driver.modbus.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's threads, shared by every meter: one timer that keeps each block's fixed rate, and a small pool that
 * runs the blocking Modbus transactions. Each meter runs its polls one at a time ({@link MeterQueue}), so a slow
 * meter holds at most one pool thread, and the thread count does not grow with the number of meters.
 */
@Component(service = PollScheduler.class)
public final class PollScheduler {
    /** Blocking transactions in flight at once across all meters. */
    static final int IO_THREADS = 4;
    private static final Logger LOG = LoggerFactory.getLogger(PollScheduler.class);

    /** Every thread the executors made: a stopped bundle must leave none behind, not even one still exiting. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(named("timer"));
    private final ExecutorService io = Executors.newFixedThreadPool(IO_THREADS, named("io"));

    ScheduledFuture<?> atFixedRate(Runnable task, long initialDelayMillis, long periodMillis) {
        return timer.scheduleAtFixedRate(task, initialDelayMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    ExecutorService io() {
        return io;
    }

    @Deactivate
    void stop() throws InterruptedException {
        timer.shutdownNow();
        io.shutdownNow();
        // An executor reports termination just before its last thread exits: wait for the threads themselves.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                LOG.warn("Modbus driver: thread {} did not end within 10 s", t.getName());
            }
        }
    }

    private ThreadFactory named(String role) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "pm500-modbus-" + role + "-" + n.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
    }
}
