package io.pm500.enrich.internal;

import io.pm500.api.sample.Sample;
import java.util.HashMap;
import java.util.Map;

/** What the pipeline remembers of one meter between samples; callers hold its monitor. */
final class MeterState {

    /** One block of the meter: its last good sample and when samples arrive. */
    static final class Block {
        Sample lastOk;
        long lastArrivalNanos;
        long intervalNanos; // gap between the last two samples; 0 until two arrived
        boolean stale;

        void arrived(long nowNanos) {
            if (lastArrivalNanos != 0) {
                intervalNanos = nowNanos - lastArrivalNanos;
            }
            lastArrivalNanos = nowNanos;
            stale = false;
        }

        /**
         * True once no sample arrived for {@code factor} intervals: the driver's, else (0) the gap between the last
         * two samples. A gap learnt at start-up may be short (the first read waits for the connection), so the
         * driver's interval is used wherever it is known.
         */
        boolean overdue(long nowNanos, int factor, long driverIntervalNanos) {
            long interval = driverIntervalNanos > 0 ? driverIntervalNanos : intervalNanos;
            return !stale && interval > 0 && nowNanos - lastArrivalNanos > factor * interval;
        }
    }

    final String meterId;
    final Map<String, Block> blocks = new HashMap<>();

    MeterState(String meterId) {
        this.meterId = meterId;
    }

    Block block(String blockId) {
        return blocks.computeIfAbsent(blockId, k -> new Block());
    }
}
