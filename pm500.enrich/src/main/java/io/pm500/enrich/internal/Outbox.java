package io.pm500.enrich.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.h2.mvstore.MVMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's queue in the outbox store: entries keyed by their first sequence id, bounded in bytes. Appenders
 * (poll threads) and the sink's courier thread meet here; every method is synchronized and short.
 *
 * <p>Live and backlog: entries appended before the sink's last recovery (its (re)binding, or its first successful
 * delivery after a failure) are backlog and are delivered as historical; while the sink fails, everything is
 * backlog. When both kinds wait, {@link #take} alternates a live batch and a backlog batch, live first.
 */
final class Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private static final long DROP_LOG_INTERVAL_NANOS = 10_000_000_000L;

    /** Entries taken for delivery: their keys, their readings, and whether they are historical. */
    record Batch(List<Long> keys, List<byte[]> entries, int readings, boolean historical) {
    }

    private final String sinkName;
    private final MVMap<Long, byte[]> map;
    private long maxBytes;
    private long bytes;
    private long readings;
    private long dropped;
    private long droppedSinceLog;
    private long lastDropLogNanos;
    private long liveFrom; // keys ≥ liveFrom are live
    private boolean failing;
    private boolean lastWasLive;
    private List<Long> inFlight = List.of();

    Outbox(String sinkName, MVMap<Long, byte[]> map, long maxBytes) {
        this.sinkName = sinkName;
        this.map = map;
        this.maxBytes = maxBytes;
        for (byte[] entry : map.values()) {
            bytes += entry.length;
            readings += EntryCodec.count(entry);
        }
        liveFrom = Long.MAX_VALUE; // all that is there now is backlog until the sink recovers
    }

    String sinkName() {
        return sinkName;
    }

    synchronized void maxBytes(long max) {
        maxBytes = max;
        trim();
    }

    /** Appends an entry; when the outbox is over its byte limit, the oldest entries not in delivery are dropped. */
    synchronized void append(long key, byte[] entry) {
        map.put(key, entry);
        bytes += entry.length;
        readings += EntryCodec.count(entry);
        if (bytes > maxBytes) {
            trim();
        }
    }

    private void trim() {
        Iterator<Long> keys = map.keyIterator(null);
        long droppedNow = 0;
        while (bytes > maxBytes && keys.hasNext()) {
            Long key = keys.next();
            if (inFlight.contains(key)) {
                continue;
            }
            byte[] entry = map.remove(key);
            if (entry != null) {
                int n = EntryCodec.count(entry);
                bytes -= entry.length;
                readings -= n;
                droppedNow += n;
            }
        }
        dropped += droppedNow;
        droppedSinceLog += droppedNow;
        long now = System.nanoTime();
        if (droppedSinceLog > 0 && (lastDropLogNanos == 0 || now - lastDropLogNanos >= DROP_LOG_INTERVAL_NANOS)) {
            LOG.warn("Outbox of sink '{}' is full ({} bytes, limit {}): dropped the {} oldest readings ({} since the"
                    + " gateway started); raise maxMegabytes of the sink's route or bring the sink back", sinkName,
                    bytes, maxBytes, droppedSinceLog, dropped);
            droppedSinceLog = 0;
            lastDropLogNanos = now;
        }
    }

    /**
     * Takes up to about {@code maxReadings} readings (whole entries, at least one) for delivery, or null when there
     * is nothing to deliver. The caller must {@link #complete} or {@link #release} the batch.
     */
    synchronized Batch take(int maxReadings) {
        boolean hasBacklog = hasEntries(Long.MIN_VALUE, failing ? Long.MAX_VALUE : liveFrom);
        boolean hasLive = !failing && hasEntries(liveFrom, Long.MAX_VALUE);
        boolean live = hasLive && (!hasBacklog || !lastWasLive);
        if (!live && !hasBacklog) {
            return null;
        }
        lastWasLive = live;
        long from = live ? liveFrom : Long.MIN_VALUE;
        long to = live || failing ? Long.MAX_VALUE : liveFrom;
        List<Long> keys = new ArrayList<>();
        List<byte[]> entries = new ArrayList<>();
        int n = 0;
        for (Iterator<Long> it = map.keyIterator(from); it.hasNext() && n < maxReadings;) {
            Long key = it.next();
            if (key >= to) {
                break;
            }
            byte[] entry = map.get(key);
            if (entry != null) {
                keys.add(key);
                entries.add(entry);
                n += EntryCodec.count(entry);
            }
        }
        if (keys.isEmpty()) {
            return null;
        }
        inFlight = keys;
        return new Batch(keys, entries, n, !live);
    }

    private boolean hasEntries(long from, long to) {
        Long key = map.ceilingKey(from);
        return key != null && key < to;
    }

    /** The batch was delivered (or dead-lettered): it leaves the outbox. */
    synchronized void complete(Batch batch) {
        for (Long key : batch.keys()) {
            byte[] entry = map.remove(key);
            if (entry != null) {
                bytes -= entry.length;
                readings -= EntryCodec.count(entry);
            }
        }
        inFlight = List.of();
    }

    /** The batch was not delivered: it stays, and may be dropped again when the outbox is full. */
    synchronized void release() {
        inFlight = List.of();
    }

    /** The sink (re)appeared or delivered again after failing: what is queued now is backlog, the rest live. */
    synchronized void recovered(long lastSequence) {
        failing = false;
        liveFrom = lastSequence + 1;
    }

    /** The sink failed or went away: everything queued from now on is backlog until it recovers. */
    synchronized void failing() {
        failing = true;
    }

    synchronized boolean isFailing() {
        return failing;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long readings() {
        return readings;
    }

    synchronized long dropped() {
        return dropped;
    }

    /** How long the oldest entry has waited. */
    synchronized Duration oldestAge(long nowMillis) {
        Long first = map.firstKey();
        byte[] entry = first == null ? null : map.get(first);
        return entry == null ? Duration.ZERO : Duration.ofMillis(Math.max(0, nowMillis - EntryCodec.appendedAt(entry)));
    }
}
