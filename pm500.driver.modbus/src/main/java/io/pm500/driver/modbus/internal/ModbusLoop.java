package io.pm500.driver.modbus.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that runs the polls of many Modbus meters: a selector for their sockets (connects, requests and replies
 * never block) and a timer heap for their schedules and time-outs. A poll costs no thread hand-off: the thread that
 * finds a block due sends its request, and the one wake-up that brings the replies of every meter ready at once reads
 * them, decodes them and hands the samples to the pipeline — a round's samples together, with one write per outbox
 * ({@link Round}). A slow or silent meter only holds a time-out in the heap. Everything but {@link #execute} and
 * {@link #handedOver} runs on the loop's thread.
 */
final class ModbusLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModbusLoop.class);
    static final long NEVER = Long.MAX_VALUE;
    /** How long a busy loop lets work gather before it looks again: adds at most this to a poll's latency. */
    private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Events (polls due, replies) per second from which busy rounds pause to gather: then one wake-up serves several
     * meters. Below it a pause gathers little and costs a wake-up of its own (load program, 60 s windows: 500 meters,
     * 1,000 events/s, 11.7-12.8 % of a core gathering, 9.7-11.0 % not; 2,000 meters about even; at 50 meters the
     * pauses were 15 % of the loop's CPU).
     */
    static final int GATHER_FROM_EVENTS_PER_SECOND = 2_000;
    private static final long RATE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Something due at a time on the loop. Its entry in the heap keeps the time it was queued for ({@code queued}),
     * so a later {@link #at} only moves {@code due}: a time-out pushed back at every request costs no heap removal,
     * it is re-queued when its old time comes.
     */
    abstract static class Timer {
        private long due = NEVER;
        private long queued = NEVER;

        /** Runs on the loop when {@code due} has come. */
        abstract void expired(long nowNanos);
    }

    /** What a socket registered with the loop is told when it is ready. */
    interface Ready {
        void ready(SelectionKey key);

        /** A fault of the loop's own making, so that one meter cannot stop the loop for the others. */
        void crashed(RuntimeException e);
    }

    private final Selector selector;
    private final Thread thread;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.queued, b.queued));
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Looks host names up off the loop (the name service may block); its thread ends when idle. */
    private final ThreadPoolExecutor resolver;
    private final Consumer<SelectionKey> onReady = this::ready; // made once: select is called in a loop
    private volatile boolean running = true;
    /** The event rate of the last full second decides whether busy rounds pause to gather (loop thread only). */
    private long rateWindowStart = System.nanoTime();
    private int windowEvents;
    private volatile boolean gathering;
    private final Round round;

    ModbusLoop(String name) throws IOException {
        selector = Selector.open();
        thread = new Thread(this::run, name);
        round = new Round(name);
        thread.setDaemon(true);
        resolver = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name + "-resolve");
            t.setDaemon(true);
            return t;
        });
        resolver.allowCoreThreadTimeOut(true);
        thread.start();
    }

    /** Looks {@code host} up off the loop and hands the address (unresolved if unknown) to {@code then} on it. */
    void resolve(String host, int port, Consumer<InetSocketAddress> then) {
        resolver.execute(() -> {
            InetSocketAddress address = new InetSocketAddress(host, port);
            execute(() -> then.accept(address));
        });
    }

    /** Runs {@code task} on the loop's thread, soon; any thread may call it. */
    void execute(Runnable task) {
        tasks.add(task);
        if (Thread.currentThread() != thread) {
            selector.wakeup();
        }
    }

    /** Whether the caller is the loop's thread. */
    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** The samples delivered in this round; on the loop's thread. */
    Round round() {
        return round;
    }

    /**
     * Waits (at most 10 s) until the samples delivered on the loop so far are handed to the pipeline: a driver
     * stopping calls it after closing its meters, so that none reaches a pipeline that goes away after it.
     */
    void handedOver() throws InterruptedException {
        if (inLoop()) {
            round.handOver();
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        execute(() -> {
            round.handOver();
            done.countDown();
        });
        if (running && !done.await(10, TimeUnit.SECONDS)) {
            LOG.warn("Modbus driver: loop {} did not hand its samples over within 10 s", thread.getName());
        }
    }

    /** Sets when {@code timer} expires next (a {@link System#nanoTime()}); on the loop's thread. */
    void at(Timer timer, long dueNanos) {
        timer.due = dueNanos;
        if (timer.queued == NEVER) {
            timer.queued = dueNanos;
            timers.add(timer);
        } else if (dueNanos < timer.queued) { // earlier than queued: rare, pay for the removal
            timers.remove(timer);
            timer.queued = dueNanos;
            timers.add(timer);
        }
    }

    /** The timer does not expire (until set again); on the loop's thread. */
    void cancel(Timer timer) {
        timer.due = NEVER;
    }

    /** Registers a channel for {@code ops} with what is told when it is ready; on the loop's thread. */
    SelectionKey register(SelectableChannel channel, int ops, Ready ready) throws IOException {
        return channel.register(selector, ops, ready);
    }

    private void run() {
        while (running) {
            try {
                long now = System.nanoTime();
                int fired = expire(now);
                for (Runnable task; (task = tasks.poll()) != null;) {
                    task.run();
                }
                round.handOver(); // outages the timers reported: before the select may wait
                Timer next = timers.peek();
                long waitMillis = next == null ? 0 // 0 = until woken
                        : Math.max(1, TimeUnit.NANOSECONDS.toMillis(next.queued - System.nanoTime() + 999_999));
                int ready = tasks.isEmpty() ? selector.select(onReady, waitMillis) : selector.selectNow(onReady);
                round.handOver();
                windowEvents += fired + ready;
                long window = now - rateWindowStart;
                if (window >= RATE_WINDOW_NANOS) { // longer after an idle wait: the rate is per the time it took
                    gathering = (long) windowEvents * RATE_WINDOW_NANOS >= GATHER_FROM_EVENTS_PER_SECOND * window;
                    windowEvents = 0;
                    rateWindowStart = now;
                }
                if (fired + ready > 0 && gathering) {
                    // busy: let the replies to what was just sent and the polls coming due gather, so that one
                    // wake-up serves many meters instead of one wake-up each
                    LockSupport.parkNanos(GATHER_NANOS);
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.error("Modbus driver: loop {} failed, going on: {}", thread.getName(), e.toString(), e);
                }
            }
        }
    }

    /** Whether busy rounds pause to gather events: the last second brought enough of them. */
    boolean gathering() {
        return gathering;
    }

    /** Runs the timers due by {@code now}; returns how many expired. */
    private int expire(long now) {
        int fired = 0;
        for (Timer t; (t = timers.peek()) != null && t.queued - now <= 0;) {
            timers.poll();
            t.queued = NEVER;
            if (t.due == NEVER) {
                continue;
            }
            if (t.due - now > 0) { // pushed back since it was queued
                t.queued = t.due;
                timers.add(t);
                continue;
            }
            t.due = NEVER;
            fired++;
            try {
                t.expired(now);
            } catch (RuntimeException e) {
                LOG.error("Modbus driver: a timer failed: {}", e.toString(), e);
            }
        }
        return fired;
    }

    private void ready(SelectionKey key) {
        Ready r = (Ready) key.attachment();
        try {
            r.ready(key);
        } catch (RuntimeException e) {
            r.crashed(e);
        }
    }

    /** Ends the threads (waiting at most 11 s) and closes the selector; channels are closed by their meters. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        resolver.shutdownNow();
        selector.wakeup();
        thread.join(10_000);
        if (thread.isAlive() || !resolver.awaitTermination(1, TimeUnit.SECONDS)) {
            LOG.warn("Modbus driver: loop {} did not end within 10 s", thread.getName());
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.warn("Modbus driver: closing loop {}'s selector: {}", thread.getName(), e.toString());
        }
    }
}
