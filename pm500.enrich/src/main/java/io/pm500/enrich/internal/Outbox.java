package io.pm500.enrich.internal;

import io.pm500.enrich.internal.Cursors.Range;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's durable queue: its records in a {@link SegmentLog}, what is still to deliver in {@link Cursors} (kept
 * in a cursor file), and its quota: over its byte limit the oldest records not in delivery are dropped. A killed
 * process loses nothing appended (appends reach the operating system before {@link #append} returns). Appenders
 * (poll threads) and the courier meet here; every method holds the monitor briefly, and {@link #take} reads its
 * batch from the disk outside it, so appends never wait for a delivery's reads.
 */
final class Outbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    static final long SEGMENT_BYTES = SegmentLog.SEGMENT_BYTES;
    private static final int HEADER = SegmentLog.HEADER;
    private static final long DROP_LOG_INTERVAL_NANOS = 10_000_000_000L;
    private static final long NONE = -1;

    /** Records taken for delivery: where they start and end, their entries, and how to deliver them. */
    record Batch(long start, long end, List<byte[]> entries, int readings, boolean historical) {
    }

    private final String sinkName;
    private final Path dir;
    private final SegmentLog log;
    private final StateFile cursor;
    private final Cursors cursors;
    private volatile boolean forceEachAppend;
    /** Where the batch in delivery (or being read for it) starts; {@value #NONE} when none is. */
    private long inFlight = NONE;
    private long maxBytes;
    private long bytes;
    private long readings;
    private long dropped;
    private long droppedSinceLog;
    private long lastDropLogNanos;
    private boolean dirty;
    private boolean closed;
    /**
     * The oldest undelivered record's position and append time, once known: a lingering courier asks for its age at
     * every wake-up, which otherwise read the record from the disk each time. Positions are never reused.
     */
    private long oldestPos = NONE;
    private long oldestAppendedAt;

    /**
     * Opens (or creates) the outbox in {@code dir}. Everything undelivered that it holds is backlog.
     *
     * @param forceEachAppend force every append to the disk before returning (sync interval 0)
     */
    Outbox(String sinkName, Path dir, long maxBytes, boolean forceEachAppend) throws IOException {
        this.sinkName = sinkName;
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.forceEachAppend = forceEachAppend;
        Files.createDirectories(dir);
        cursor = new StateFile(dir.resolve("cursor"));
        long[] state = cursor.read();
        log = new SegmentLog(sinkName, dir, state == null ? 0 : state[0]);
        cursors = new Cursors(log.head(), log.tail(), state, new ArrayList<>());
        for (Range range : cursors.undelivered()) {
            count(range, "the queued counts of this outbox are short until it drains");
        }
        writeCursor();
    }

    /** Adds the records of {@code range} to the queued counts. */
    private void count(Range range, String ifDamaged) {
        try {
            for (long pos = range.from(); pos < range.to();) {
                byte[] entry = log.read(pos, range.to());
                bytes += HEADER + entry.length;
                readings += EntryCodec.count(entry);
                pos += HEADER + entry.length;
            }
        } catch (IllegalStateException damaged) {
            LOG.error("{}; {}", damaged.getMessage(), ifDamaged);
        }
    }

    String sinkName() {
        return sinkName;
    }

    void forceEachAppend(boolean force) {
        forceEachAppend = force;
    }

    synchronized void maxBytes(long max) {
        maxBytes = max;
        trim();
    }

    /**
     * Appends the records (one write); when the outbox is over its byte limit, the oldest records not in delivery
     * are dropped.
     */
    synchronized void append(Records records) {
        long start = log.tail();
        try {
            long tail = log.append(records, forceEachAppend);
            cursors.appended(tail);
            if (cursors.oldest() == start) { // it was empty: the first record is the oldest now
                oldestPos = start;
                oldestAppendedAt = records.firstAppendedAt();
            }
        } catch (ClosedByInterruptException e) {
            // the appending thread was interrupted (a driver stopping); its samples are not taken, the outbox goes on
            throw new UncheckedIOException("append to the outbox of sink '" + sinkName + "' interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException("outbox of sink '" + sinkName + "' in " + dir + " cannot be written: "
                    + e.getMessage(), e);
        }
        dirty |= !forceEachAppend;
        bytes += records.bytes();
        readings += records.readings();
        if (bytes > maxBytes) {
            trim();
        }
    }

    /** Drops the oldest records (backlog first, then live) until the outbox fits, never the batch in delivery. */
    private void trim() {
        long droppedNow = 0;
        while (bytes > maxBytes) {
            Range range = cursors.droppable(inFlight);
            if (range == null) {
                break; // only the batch in delivery is left
            }
            byte[] entry;
            try {
                entry = log.read(range.from());
            } catch (IllegalStateException damaged) {
                skipDamaged(range, damaged);
                continue;
            }
            cursors.advance(range.from(), range.from() + HEADER + entry.length);
            bytes -= HEADER + entry.length;
            int n = EntryCodec.count(entry);
            readings -= n;
            droppedNow += n;
        }
        if (droppedNow == 0) {
            return;
        }
        dropped += droppedNow;
        droppedSinceLog += droppedNow;
        log.deleteBefore(cursors.head());
        writeCursor();
        long now = System.nanoTime();
        if (lastDropLogNanos == 0 || now - lastDropLogNanos >= DROP_LOG_INTERVAL_NANOS) {
            LOG.warn("Outbox of sink '{}' is full ({} bytes, limit {}): dropped the {} oldest readings ({} since the"
                    + " gateway started); raise maxMegabytes of the sink's route or bring the sink back", sinkName,
                    bytes, maxBytes, droppedSinceLog, dropped);
            droppedSinceLog = 0;
            lastDropLogNanos = now;
        }
    }

    /**
     * Takes up to about {@code maxReadings} readings (whole entries, at least one) for delivery, or null when there
     * is nothing to deliver. The caller must {@link #complete} or {@link #release} the batch. The records are read
     * outside the monitor: the region is reserved first, so no trim drops from it meanwhile.
     */
    Batch take(int maxReadings) {
        Cursors.Next next;
        synchronized (this) {
            next = cursors.next();
            if (next == null) {
                return null;
            }
            inFlight = next.range().from();
        }
        List<byte[]> entries = new ArrayList<>();
        int n = 0;
        long pos = next.range().from();
        IllegalStateException damage = null;
        try {
            while (pos < next.range().to() && n < maxReadings) {
                byte[] entry;
                try {
                    entry = log.read(pos, next.range().to());
                } catch (IllegalStateException damaged) {
                    damage = damaged; // with entries: deliver what came before; the next take meets the damage
                    break;
                }
                entries.add(entry);
                n += EntryCodec.count(entry);
                pos += HEADER + entry.length;
            }
        } catch (RuntimeException e) {
            release();
            throw e;
        }
        synchronized (this) {
            if (entries.isEmpty()) {
                inFlight = NONE;
                if (damage != null) {
                    skipDamaged(next.range(), damage);
                }
                return null;
            }
            return new Batch(next.range().from(), pos, entries, n, next.historical());
        }
    }

    /**
     * A damaged record at the start of {@code range} (the disk, not a crash: torn appends are cut on opening) cannot
     * be delimited: skip to the next segment, or the end of the range, and say so. What the skipped bytes held is
     * lost.
     */
    private void skipDamaged(Range range, IllegalStateException damage) {
        long pos = range.from();
        Long nextSegment = log.nextSegment(pos);
        long to = nextSegment == null ? range.to() : Math.min(range.to(), nextSegment);
        LOG.error("{}; skipping {} bytes to position {}: the readings in them are lost", damage.getMessage(),
                to - pos, to);
        cursors.advance(pos, to);
        bytes = Math.max(0, bytes - (to - pos));
        writeCursor();
    }

    /** The batch was delivered (or dead-lettered): the cursor of its region moves past it. */
    synchronized void complete(Batch batch) {
        inFlight = NONE;
        if (cursors.advance(batch.start(), batch.end())) {
            bytes -= batch.end() - batch.start();
            readings -= batch.readings();
            log.deleteBefore(cursors.head());
            writeCursor();
        }
    }

    /** The batch was not delivered: it stays. */
    synchronized void release() {
        inFlight = NONE;
    }

    /** The sink (re)appeared or delivered again after failing: what is queued now is backlog, the rest live. */
    synchronized void recovered() {
        List<Range> requeued = new ArrayList<>();
        cursors.recovered(requeued);
        requeued.forEach(r -> count(r, "the queued counts of this outbox are short until it drains"));
        writeCursor();
    }

    /** The sink failed or went away: everything is delivered as historical until it recovers. */
    synchronized void failing() {
        cursors.failing();
    }

    synchronized boolean isFailing() {
        return cursors.isFailing();
    }

    synchronized long bytes() {
        return bytes;
    }

    /** The limit beyond which the oldest readings are dropped. */
    synchronized long maxBytes() {
        return maxBytes;
    }

    synchronized long readings() {
        return readings;
    }

    synchronized long dropped() {
        return dropped;
    }

    /** How long the oldest undelivered entry has waited; its record is read (once) outside the monitor. */
    Duration oldestAge(long nowMillis) {
        long oldest;
        synchronized (this) {
            oldest = cursors.oldest();
            if (oldest < 0) {
                return Duration.ZERO;
            }
            if (oldest == oldestPos) {
                return Duration.ofMillis(Math.max(0, nowMillis - oldestAppendedAt));
            }
        }
        long appendedAt;
        try {
            appendedAt = EntryCodec.appendedAt(log.read(oldest));
        } catch (IllegalStateException | UncheckedIOException unreadable) {
            return Duration.ZERO; // damage is reported when the courier meets it; a record dropped meanwhile is gone
        }
        synchronized (this) {
            oldestPos = oldest;
            oldestAppendedAt = appendedAt;
        }
        return Duration.ofMillis(Math.max(0, nowMillis - appendedAt));
    }

    /**
     * Forces what was appended since the last call to the disk. The fsync itself runs outside the monitor: it can
     * take tens of milliseconds, and appends (driver threads) and deliveries must not wait for it.
     */
    void sync() {
        List<FileChannel> segments;
        FileChannel state;
        synchronized (this) {
            if (!dirty || closed) {
                return;
            }
            try {
                segments = log.unforced();
                state = cursor.channel();
            } catch (IOException e) {
                LOG.error("Outbox of sink '{}': cannot open {} to force it to the disk: {}", sinkName, dir,
                        e.toString());
                return;
            }
            dirty = false;
        }
        try {
            for (FileChannel segment : segments) {
                force(segment);
            }
            state.force(false);
        } catch (IOException e) {
            synchronized (this) {
                dirty = true; // forced again next time, from the channels then current
            }
            if (!(e instanceof java.nio.channels.ClosedChannelException)) {
                LOG.error("Outbox of sink '{}': cannot force {} to the disk: {}", sinkName, dir, e.toString());
            }
        }
    }

    /** Forces a segment; one closed since it was listed (delivered and deleted) has nothing left to force. */
    private static void force(FileChannel segment) throws IOException {
        try {
            segment.force(false);
        } catch (java.nio.channels.ClosedChannelException deleted) {
            // nothing to keep
        }
    }

    /** Records what is undelivered; forced with the segments by {@link #sync}. */
    private void writeCursor() {
        try {
            cursor.write(cursors.state(), forceEachAppend);
        } catch (IOException e) {
            LOG.error("Outbox of sink '{}': cannot write its cursor in {}: {}; after a restart some readings may be"
                    + " delivered again", sinkName, dir, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        dirty = true;
        sync();
        closed = true;
        try {
            cursor.close();
            log.close();
        } catch (IOException e) {
            LOG.error("Outbox of sink '{}': closing {} failed: {}", sinkName, dir, e.toString());
        }
    }

    /** Closes the outbox and deletes it with what it holds. */
    synchronized void delete() throws IOException {
        close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
