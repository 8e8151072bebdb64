package io.pm500.bench;

import io.pm500.demo.SparkplugSubscriber;
import io.pm500.demo.SparkplugSubscriber.Received;
import io.pm500.testkit.process.InfluxDbProcess;
import io.pm500.testkit.process.MosquittoProcess;
import java.util.Arrays;
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
    /** What a replay measured; rates are polls (one DDATA, one historian row) per second. */
    record Result(long outageSeconds, long backlog, long toBroker, long brokerFirstMillis, double brokerPerSecond,
            long toHistorian, long historianFirstMillis, double historianPerSecond, Delivery.Latency live) {
    }

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
     * polls acquired meanwhile have reached both — all but one per meter, which the outage's edges may cut.
     */
    static Result run(int seconds, int meters, int intervalMillis, MosquittoProcess broker, InfluxDbProcess influx)
            throws Exception {
        long from = System.currentTimeMillis();
        broker.kill();
        influx.kill();
        TimeUnit.SECONDS.sleep(seconds);
        long to = System.currentTimeMillis();
        influx.run();
        broker.run();
        long restarted = System.currentTimeMillis();
        Replay counter = new Replay(from, to, restarted);
        long expected = meters * (to - from) / intervalMillis;
        long enough = expected - meters;
        long historianFirst = 0;
        long historianDone = 0;
        long rows = 0;
        try (SparkplugSubscriber subscriber = new SparkplugSubscriber(broker.uri(), "pm500-load-replay", counter)) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (System.nanoTime() < deadline && (counter.backlog() < enough || rows < enough)) {
                TimeUnit.MILLISECONDS.sleep(250);
                if (rows < enough) {
                    rows = LoadRun.historianRows(influx, from, to);
                    long now = System.currentTimeMillis();
                    historianFirst = historianFirst == 0 && rows > 0 ? now : historianFirst;
                    historianDone = rows >= enough ? now : 0;
                }
            }
        }
        TimeUnit.SECONDS.sleep(2);
        synchronized (counter) {
            long brokerSpan = Math.max(1, counter.lastBacklogAt - counter.firstBacklogAt);
            long[] sorted = Arrays.copyOf(counter.live, counter.liveCount);
            Arrays.sort(sorted);
            return new Result((to - from) / 1000, expected, counter.backlog,
                    counter.firstBacklogAt == 0 ? -1 : counter.firstBacklogAt - restarted,
                    1000.0 * counter.backlog / brokerSpan, rows, historianFirst == 0 ? -1 : historianFirst - restarted,
                    historianDone == 0 ? 0 : 1000.0 * rows / Math.max(1, historianDone - historianFirst),
                    Delivery.latencyOf(sorted));
        }
    }

    private synchronized long backlog() {
        return backlog;
    }
}
