package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sample.Sample;
import java.time.Instant;
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
    /** The acquisition milliseconds the meter's latest samples and stamps took, a ring: see {@link #distinct}. */
    private final long[] recentMillis = new long[16];
    private int nextRecent;

    MeterState(String meterId) {
        this.meterId = meterId;
    }

    Block block(String blockId) {
        return blocks.computeIfAbsent(blockId, k -> new Block());
    }

    /**
     * The acquisition time to publish a sample (or a STALE stamp) of this meter at: its own, unless one of the meter's
     * recent samples already took that millisecond — two blocks (or two drivers) answering within one ms — then the
     * next free millisecond. Readings of different acquisitions of a meter therefore never share a time at ms
     * resolution, so a historian keyed by meter and time keeps both instead of merging them.
     */
    Instant distinct(Instant acquiredAt) {
        long ms = acquiredAt.toEpochMilli();
        long chosen = ms;
        while (taken(chosen)) {
            chosen++;
        }
        recentMillis[nextRecent] = chosen;
        nextRecent = (nextRecent + 1) % recentMillis.length;
        return chosen == ms ? acquiredAt : Instant.ofEpochMilli(chosen);
    }

    private boolean taken(long ms) {
        for (long t : recentMillis) {
            if (t == ms) {
                return true;
            }
        }
        return false;
    }
}
