package io.pm500.bench;

import io.pm500.demo.SparkplugSubscriber.Received;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.eclipse.tahu.message.model.Metric;

/**
 * What the subscriber received: when each device's first DDATA arrived (the gateway polls that meter), and, for the
 * DDATA acquired within the measuring window, how many and how late: receipt at the subscriber minus the
 * acquisition time the gateway stamped on the metrics when the meter's reply arrived.
 */
final class Delivery implements Consumer<Received> {
    private final Map<String, Long> firstData = new ConcurrentHashMap<>();
    private volatile long fromMillis = Long.MAX_VALUE;
    private volatile long toMillis = Long.MAX_VALUE;
    private long[] latencies = new long[1 << 16];
    private int count;

    /** Counts the DDATA acquired from now on, for {@code millis}. */
    void window(long fromMillis, long millis) {
        this.toMillis = fromMillis + millis;
        this.fromMillis = fromMillis;
    }

    /** Devices that sent DATA so far. */
    int devicesPolling() {
        return firstData.size();
    }

    /** When the last of the first DDATA of every device arrived (epoch ms), or 0 while one is missing. */
    long allPollingAtMillis(int devices) {
        return firstData.size() < devices ? 0 : firstData.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    @Override
    public void accept(Received r) {
        if (!"DDATA".equals(r.type()) || r.device() == null || r.payload() == null) {
            return;
        }
        firstData.putIfAbsent(r.device(), r.receivedAtMillis());
        long acquired = 0;
        for (Metric m : r.payload().getMetrics()) {
            if (m.getTimestamp() != null && !Boolean.TRUE.equals(m.isHistorical())) {
                acquired = Math.max(acquired, m.getTimestamp().getTime());
            }
        }
        if (acquired < fromMillis || acquired >= toMillis) {
            return;
        }
        synchronized (this) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = r.receivedAtMillis() - acquired;
        }
    }

    /** DDATA acquired in the window and their latency percentiles (ms). */
    synchronized Latency latency() {
        long[] sorted = Arrays.copyOf(latencies, count);
        Arrays.sort(sorted);
        return latencyOf(sorted);
    }

    /** Count and percentiles of sorted latencies (ms). */
    static Latency latencyOf(long[] sorted) {
        int n = sorted.length;
        return new Latency(n, pct(sorted, 50), pct(sorted, 99), n == 0 ? 0 : sorted[n - 1]);
    }

    record Latency(long messages, long p50, long p99, long max) {
    }

    private static long pct(long[] sorted, int p) {
        return sorted.length == 0 ? 0
                : sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
