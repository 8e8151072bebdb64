package io.pm500.bench;

import io.pm500.demo.SparkplugSubscriber;
import io.pm500.demo.SparkplugSubscriber.Received;
import io.pm500.testkit.process.InfluxDbProcess;
import io.pm500.testkit.process.MosquittoProcess;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.tahu.message.model.Metric;

/**
 * The replay phase of the load program ({@code --replay SECONDS}): the broker and the historian are killed (as a
 * power cut would), the gateway keeps polling into its outboxes for the outage, both come back on their ports, and
 * the backlog is timed as it drains to each — while the live polls' latency at the subscriber shows whether live
 * data still flows on time. A fresh subscriber counts the DDATA acquired during the outage (replayed as historical
 * metrics) and the live DDATA acquired since the restart.
 */
final class Replay implements Consumer<Received> {
    /**
     * What a replay measured; rates are polls (one DDATA, one historian row) per second. The couriers' cost is the CPU
     * of each sink's delivery thread from the restart until both had drained, per poll it delivered meanwhile
     * (backlog and live): what the gateway itself spends on a replayed poll, whatever the peers' speed.
     */
    record Result(long outageSeconds, long backlog, long toBroker, long brokerFirstMillis, double brokerPerSecond,
            long toHistorian, long historianFirstMillis, double historianPerSecond, Delivery.Latency live,
            double brokerCourierMicros, double historianCourierMicros) {
    }

    /** The delivery threads' names as {@link ProcStat#byThread} gives them (15 characters, digits as N). */
    private static final String SPARKPLUG_COURIER = "pmN-sink-spar";
    private static final String INFLUX_COURIER = "pmN-sink-infl";
    /** The historian sink's name in the load program's configuration. */
    private static final String INFLUX_SINK = "influx";

    private final long outageFrom;
    private final long outageTo;
    private final long liveFrom;
    private long backlog;
    private long firstBacklogAt;
    private long lastBacklogAt;
    private long[] live = new long[1 << 16];
    private int liveCount;

    private Replay(long outageFrom, long outageTo, long liveFrom) {
        this.outageFrom = outageFrom;
        this.outageTo = outageTo;
        this.liveFrom = liveFrom;
    }

    @Override
    public synchronized void accept(Received r) {
        if (!"DDATA".equals(r.type()) || r.payload() == null) {
            return;
        }
        long acquired = 0;
        boolean historical = false;
        for (Metric m : r.payload().getMetrics()) {
            if (m.getTimestamp() != null) {
                acquired = Math.max(acquired, m.getTimestamp().getTime());
                historical |= Boolean.TRUE.equals(m.isHistorical());
            }
        }
        if (acquired >= outageFrom && acquired < outageTo) {
            backlog++;
            firstBacklogAt = firstBacklogAt == 0 ? r.receivedAtMillis() : firstBacklogAt;
            lastBacklogAt = r.receivedAtMillis();
        } else if (acquired >= liveFrom && !historical) {
            if (liveCount == live.length) {
                live = Arrays.copyOf(live, liveCount * 2);
            }
            live[liveCount++] = r.receivedAtMillis() - acquired;
        }
    }

    /**
     * Kills the broker and the historian for {@code seconds}, restarts them and waits (at most 10 minutes) until the
     * polls acquired meanwhile have reached both — all but one per meter, which the outage's edges may cut. The
     * broker's rate is the subscriber's (first to last replayed DDATA received); the historian's is the gateway's
     * historian outbox sampled every 100 ms — from its first acknowledged write after the restart until it holds no
     * more than two seconds of live readings — since counting rows with queries while they arrive is too coarse for a
     * drain of a few seconds (and the queries load the historian); the rows are counted once they are all there.
     */
    static Result run(int seconds, int meters, int intervalMillis, MosquittoProcess broker, InfluxDbProcess influx,
            GatewayUnderTest gateway) throws Exception {
        long from = System.currentTimeMillis();
        broker.kill();
        influx.kill();
        TimeUnit.SECONDS.sleep(seconds);
        long to = System.currentTimeMillis();
        long expected = meters * (to - from) / intervalMillis;
        long enough = expected - meters;
        List<long[]> historianQueue = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            try {
                Long queued = gateway.queuedReadings().get(INFLUX_SINK);
                if (queued != null) {
                    historianQueue.add(new long[] { System.currentTimeMillis(), queued });
                }
            } catch (IOException | InterruptedException e) {
                // a sample missed; the next one comes 100 ms later
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        long historianBack;
        long restarted;
        Map<String, Long> cpuAtRestart;
        Replay counter;
        long rows = 0;
        try { // the sampler's thread is not a daemon: it must end however the restarts or the wait end
            influx.run();
            historianBack = System.currentTimeMillis();
            broker.run();
            restarted = System.currentTimeMillis();
            cpuAtRestart = ProcStat.byThread(gateway.pid());
            counter = new Replay(from, to, restarted);
            try (SparkplugSubscriber subscriber = new SparkplugSubscriber(broker.uri(), "pm500-load-replay",
                    counter)) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while (System.nanoTime() < deadline && (counter.backlog() < enough || rows < enough)) {
                    TimeUnit.SECONDS.sleep(1);
                    if (rows < enough && drained(historianQueue, meters, expected, intervalMillis) != null) {
                        rows = LoadRun.historianRows(influx, from, to);
                    }
                }
            }
        } finally {
            sampler.shutdownNow();
        }
        long drainedAt = System.currentTimeMillis();
        Map<String, Long> cpuDrained = ProcStat.byThread(gateway.pid());
        double livePolls = (double) meters * (drainedAt - restarted) / intervalMillis;
        long[] drain = drained(historianQueue, meters, expected, intervalMillis);
        TimeUnit.SECONDS.sleep(2);
        synchronized (counter) {
            long brokerSpan = Math.max(1, counter.lastBacklogAt - counter.firstBacklogAt);
            long[] sorted = Arrays.copyOf(counter.live, counter.liveCount);
            Arrays.sort(sorted);
            return new Result((to - from) / 1000, expected, counter.backlog,
                    counter.firstBacklogAt == 0 ? -1 : counter.firstBacklogAt - restarted,
                    1000.0 * counter.backlog / brokerSpan, rows, drain == null ? -1 : drain[0] - historianBack,
                    drain == null ? 0 : 1000.0 * expected / Math.max(1, drain[1] - drain[0]),
                    Delivery.latencyOf(sorted), micros(cpuAtRestart, cpuDrained, SPARKPLUG_COURIER,
                            counter.backlog + livePolls), micros(cpuAtRestart, cpuDrained, INFLUX_COURIER,
                            rows + livePolls));
        }
    }

    /**
     * When the historian outbox began to drain (the first sample below the one before it: an acknowledged write)
     * and when it held no more than two seconds of live readings again; null until both happened.
     */
    private static long[] drained(List<long[]> queue, int meters, long backlogPolls, int intervalMillis) {
        synchronized (queue) {
            if (queue.isEmpty()) {
                return null;
            }
            double readingsPerPoll = (double) queue.get(0)[1] / Math.max(1, backlogPolls);
            double live = 2.0 * meters * readingsPerPoll * 1000 / intervalMillis;
            long start = 0;
            for (int i = 1; i < queue.size(); i++) {
                long[] s = queue.get(i);
                if (start == 0 && s[1] < queue.get(i - 1)[1]) {
                    start = s[0];
                }
                if (start != 0 && s[1] <= live) {
                    return new long[] { start, s[0] };
                }
            }
            return null;
        }
    }

    /** CPU µs of one thread between two snapshots, per poll. */
    private static double micros(Map<String, Long> before, Map<String, Long> after, String thread, double polls) {
        long millis = after.getOrDefault(thread, 0L) - before.getOrDefault(thread, 0L);
        return polls <= 0 ? 0 : millis * 1000.0 / polls;
    }

    private synchronized long backlog() {
        return backlog;
    }
}
