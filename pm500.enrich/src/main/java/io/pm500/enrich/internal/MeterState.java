package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sample.Sample;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the pipeline remembers of one meter between samples; callers hold its monitor. */
final class MeterState {

    /** One block of the meter: its last good sample, its newest readings and when samples arrive. */
    static final class Block {
        Sample lastOk;
        /** The readings this block last produced (a sample's, or a STALE stamp); empty before its first sample. */
        List<EnrichedReading> newest = List.of();
        long lastArrivalNanos;
        long intervalNanos; // gap between the last two samples; 0 until two arrived
        /** The interval the block's driver last reported: -1 none yet, 0 read once per connection. */
        long reportedIntervalNanos = -1;
        boolean stale;

        void arrived(long nowNanos) {
            if (lastArrivalNanos != 0) {
                intervalNanos = nowNanos - lastArrivalNanos;
            }
            lastArrivalNanos = nowNanos;
            stale = false;
        }

        /**
         * True once no sample arrived for {@code factor} intervals: the one the driver reported (kept after the driver
         * has gone), else the gap between the last two samples — a gap learnt at start-up may be short, the first
         * read having waited for the connection. Never for a block read once per connection.
         */
        boolean overdue(long nowNanos, int factor) {
            long interval = reportedIntervalNanos >= 0 ? reportedIntervalNanos : intervalNanos;
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
