package io.pm500.enrich.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's durable queue: an append-only log of records in segment files under its own directory, plus a cursor
 * file saying what is still to deliver. A record is {@code int length, int CRC-32C, entry}; appends are plain
 * sequential writes (they reach the operating system before {@link #append} returns), so a killed process loses
 * nothing appended, and the page cache coalesces small appends into few disk writes. On opening, the last segment
 * is checked record by record and cut at the first torn or damaged one.
 *
 * <p>What is undelivered: the backlog (one or more ranges of positions, oldest first) and the live region from
 * the live cursor to the tail. When the sink recovers — is bound again, or delivers after failing — the live
 * region becomes a backlog range and everything appended later is live. While the sink fails, everything is
 * delivered as historical, oldest first. When both wait, {@link #take} alternates a live batch and a backlog
 * batch, live first. Delivered or dropped data leaves by advancing cursors; whole segments are deleted once
 * nothing in them is undelivered. Appenders (poll threads) and the courier meet here; every method is
 * synchronized and short.
 */
final class Outbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    static final long SEGMENT_BYTES = 16L << 20;
    private static final int HEADER = 8;
    private static final int MAX_ENTRY = 64 << 20;
    private static final long DROP_LOG_INTERVAL_NANOS = 10_000_000_000L;
    private static final String SUFFIX = ".seg";
    private static final int MAX_RANGES = 24;

    /** Records taken for delivery: where they start and end, their entries, and how to deliver them. */
    record Batch(long start, long end, List<byte[]> entries, int readings, boolean historical) {
    }

    private final String sinkName;
    private final Path dir;
    private volatile boolean forceEachAppend;
    private final TreeMap<Long, FileChannel> segments = new TreeMap<>();
    private final StateFile cursor;
    private final ArrayDeque<long[]> backlog = new ArrayDeque<>(); // [from, to) ranges, oldest first
    private long liveCursor;
    private long tail;
    private boolean failing = true; // until a sink is bound
    private boolean lastWasLive;
    private Batch inFlight;
    private long maxBytes;
    private long bytes;
    private long readings;
    private long dropped;
    private long droppedSinceLog;
    private long lastDropLogNanos;
    private boolean dirty;
    private boolean closed;

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
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                String name = p.getFileName().toString();
                segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), open(p));
            }
        }
        cursor = new StateFile(dir.resolve("cursor"));
        long[] state = cursor.read();
        if (segments.isEmpty()) {
            long start = state == null ? 0 : state[0];
            segments.put(start, open(segmentFile(start)));
        }
        tail = recoverTail();
        long first = segments.firstKey();
        if (state == null) {
            addBacklog(first, tail);
        } else { // [liveCursor, n, from1, to1, …]: positions past a cut tail or before the first segment are gone
            for (int i = 0; i < state[1]; i++) {
                addBacklog(Math.max(first, state[2 + 2 * i]), Math.min(tail, state[3 + 2 * i]));
            }
            addBacklog(Math.max(first, state[0]), tail);
        }
        liveCursor = tail;
        for (long[] range : backlog) {
            try {
                for (long pos = range[0]; pos < range[1];) {
                    byte[] entry = read(pos);
                    bytes += HEADER + entry.length;
                    readings += EntryCodec.count(entry);
                    pos += HEADER + entry.length;
                }
            } catch (IllegalStateException damaged) {
                LOG.error("{}; the queued counts of this outbox are short until it drains", damaged.getMessage());
            }
        }
        writeCursor();
    }

    /**
     * The segment's channel, opened again if an interrupted thread closed it (a {@link FileChannel} closes itself
     * when a thread blocked in it is interrupted, and drivers interrupt their threads when they stop).
     */
    private FileChannel channel(long segmentStart) throws IOException {
        if (closed) {
            throw new java.nio.channels.ClosedChannelException(); // closed on purpose: never reopened
        }
        FileChannel ch = segments.get(segmentStart);
        if (!ch.isOpen()) {
            ch = open(segmentFile(segmentStart));
            segments.put(segmentStart, ch);
        }
        return ch;
    }

    private static FileChannel open(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private Path segmentFile(long start) {
        return dir.resolve(String.format("%020d%s", start, SUFFIX));
    }

    /** Checks the last segment's records and cuts it after the last intact one; returns the tail position. */
    private long recoverTail() throws IOException {
        Map.Entry<Long, FileChannel> last = segments.lastEntry();
        FileChannel ch = last.getValue();
        long size = ch.size();
        long offset = 0;
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        while (offset + HEADER <= size) {
            header.clear();
            ch.read(header, offset);
            header.flip();
            int length = header.getInt();
            int crc = header.getInt();
            if (length <= 0 || length > MAX_ENTRY || offset + HEADER + length > size) {
                break;
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            ch.read(payload, offset + HEADER);
            if (crc(payload.array()) != crc) {
                break;
            }
            offset += HEADER + length;
        }
        if (offset < size) {
            LOG.warn("Outbox of sink '{}': cut {} bytes of an append torn by a crash at the end of {}", sinkName,
                    size - offset, segmentFile(last.getKey()).getFileName());
            ch.truncate(offset);
            ch.force(true);
        }
        return last.getKey() + offset;
    }

    private void addBacklog(long from, long to) {
        if (from >= to) {
            return;
        }
        long[] lastRange = backlog.peekLast();
        if (lastRange != null && lastRange[1] == from) {
            lastRange[1] = to;
        } else {
            backlog.addLast(new long[] { from, to });
        }
        if (backlog.size() > MAX_RANGES) {
            // the cursor file holds so many ranges: join the two oldest, so the delivered records between them are
            // delivered again (at-least-once allows it) and counted as queued again
            long[] first = backlog.pollFirst();
            long[] second = backlog.peekFirst();
            for (long pos = first[1]; pos < second[0];) {
                byte[] entry = read(pos);
                bytes += HEADER + entry.length;
                readings += EntryCodec.count(entry);
                pos += HEADER + entry.length;
            }
            second[0] = first[0];
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

    /** Appends one entry; when the outbox is over its byte limit, the oldest records not in delivery are dropped. */
    synchronized void append(byte[] entry) {
        long record = HEADER + entry.length;
        try {
            Map.Entry<Long, FileChannel> active = segments.lastEntry();
            if (tail > active.getKey() && tail - active.getKey() + record > SEGMENT_BYTES) {
                channel(active.getKey()).force(false); // a rolled segment is never written again: force it once
                segments.put(tail, open(segmentFile(tail)));
                active = segments.lastEntry();
            }
            ByteBuffer b = ByteBuffer.allocate((int) record);
            b.putInt(entry.length).putInt(crc(entry)).put(entry).flip();
            long at = tail - active.getKey();
            FileChannel ch = channel(active.getKey());
            while (b.hasRemaining()) {
                at += ch.write(b, at);
            }
            if (forceEachAppend) {
                ch.force(false);
            } else {
                dirty = true;
            }
        } catch (ClosedByInterruptException e) {
            // the appending thread was interrupted (a driver stopping); its sample is not taken, the outbox goes on
            throw new UncheckedIOException("append to the outbox of sink '" + sinkName + "' interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException("outbox of sink '" + sinkName + "' in " + dir + " cannot be written: "
                    + e.getMessage(), e);
        }
        tail += record;
        bytes += record;
        readings += EntryCodec.count(entry);
        if (bytes > maxBytes) {
            trim();
        }
    }

    /** Drops the oldest records (backlog first, then live) until the outbox fits, never the batch in delivery. */
    private void trim() {
        long droppedNow = 0;
        while (bytes > maxBytes) {
            long[] range = null;
            for (long[] r : backlog) {
                if (inFlight == null || inFlight.start() != r[0]) {
                    range = r;
                    break;
                }
            }
            long from = range != null ? range[0] : liveCursor;
            if (range == null && (liveCursor >= tail || inFlight != null && inFlight.start() == liveCursor)) {
                break; // only the batch in delivery is left
            }
            byte[] entry;
            try {
                entry = read(from);
            } catch (IllegalStateException damaged) {
                skipDamaged(range == null, from, range == null ? tail : range[1], damaged);
                continue;
            }
            long next = from + HEADER + entry.length;
            if (range != null) {
                range[0] = next;
                if (range[0] >= range[1]) {
                    backlog.remove(range);
                }
            } else {
                liveCursor = next;
            }
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
        deleteDeliveredSegments();
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
     * is nothing to deliver. The caller must {@link #complete} or {@link #release} the batch.
     */
    synchronized Batch take(int maxReadings) {
        boolean hasBacklog = !backlog.isEmpty();
        boolean hasLive = liveCursor < tail;
        boolean live;
        if (failing) {
            live = !hasBacklog && hasLive; // oldest first, all historical
        } else {
            live = hasLive && (!hasBacklog || !lastWasLive);
            lastWasLive = live;
        }
        if (!live && !hasBacklog) {
            return null;
        }
        long start = live ? liveCursor : backlog.peekFirst()[0];
        long limit = live ? tail : backlog.peekFirst()[1];
        List<byte[]> entries = new ArrayList<>();
        int n = 0;
        long pos = start;
        while (pos < limit && n < maxReadings) {
            byte[] entry;
            try {
                entry = read(pos);
            } catch (IllegalStateException damaged) {
                if (!entries.isEmpty()) {
                    break; // deliver what came before; the next take meets the damage first
                }
                skipDamaged(live, pos, limit, damaged);
                return null;
            }
            entries.add(entry);
            n += EntryCodec.count(entry);
            pos += HEADER + entry.length;
        }
        inFlight = new Batch(start, pos, entries, n, failing || !live);
        return inFlight;
    }

    /**
     * A damaged record (the disk, not a crash: torn appends are cut on opening) cannot be delimited: skip to the
     * next segment, or the end of the region, and say so. What the skipped bytes held is lost.
     */
    private void skipDamaged(boolean live, long pos, long limit, IllegalStateException damage) {
        Long nextSegment = segments.higherKey(pos);
        long to = nextSegment == null ? limit : Math.min(limit, nextSegment);
        LOG.error("{}; skipping {} bytes to position {}: the readings in them are lost", damage.getMessage(),
                to - pos, to);
        if (live) {
            liveCursor = to;
        } else {
            long[] r = backlog.peekFirst();
            r[0] = to;
            if (r[0] >= r[1]) {
                backlog.pollFirst();
            }
        }
        bytes = Math.max(0, bytes - (to - pos));
        writeCursor();
    }

    /** The batch was delivered (or dead-lettered): the cursor of its region moves past it. */
    synchronized void complete(Batch batch) {
        inFlight = null;
        boolean advanced = false;
        if (liveCursor == batch.start()) {
            liveCursor = batch.end();
            advanced = true;
        } else {
            for (long[] r : backlog) {
                if (r[0] == batch.start()) {
                    r[0] = batch.end();
                    if (r[0] >= r[1]) {
                        backlog.remove(r);
                    }
                    advanced = true;
                    break;
                }
            }
        }
        if (advanced) {
            bytes -= batch.end() - batch.start();
            readings -= batch.readings();
            deleteDeliveredSegments();
            writeCursor();
        }
    }

    /** The batch was not delivered: it stays. */
    synchronized void release() {
        inFlight = null;
    }

    /** The sink (re)appeared or delivered again after failing: what is queued now is backlog, the rest live. */
    synchronized void recovered() {
        failing = false;
        addBacklog(liveCursor, tail);
        liveCursor = tail;
        writeCursor();
    }

    /** The sink failed or went away: everything is delivered as historical until it recovers. */
    synchronized void failing() {
        failing = true;
    }

    synchronized boolean isFailing() {
        return failing;
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

    /** How long the oldest undelivered entry has waited. */
    synchronized Duration oldestAge(long nowMillis) {
        long oldest = !backlog.isEmpty() ? backlog.peekFirst()[0] : liveCursor < tail ? liveCursor : -1;
        try {
            return oldest < 0 ? Duration.ZERO
                    : Duration.ofMillis(Math.max(0, nowMillis - EntryCodec.appendedAt(read(oldest))));
        } catch (IllegalStateException damaged) {
            return Duration.ZERO; // reported when the courier meets it
        }
    }

    /**
     * Forces what was appended since the last call to the disk. The fsync itself runs outside the monitor: it can
     * take tens of milliseconds, and appends (driver threads) and deliveries must not wait for it.
     */
    void sync() {
        FileChannel segment;
        FileChannel state;
        synchronized (this) {
            if (!dirty || closed) {
                return;
            }
            try {
                segment = channel(segments.lastKey());
                state = cursor.channel();
            } catch (IOException e) {
                LOG.error("Outbox of sink '{}': cannot open {} to force it to the disk: {}", sinkName, dir,
                        e.toString());
                return;
            }
            dirty = false;
        }
        try {
            segment.force(false);
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

    private byte[] read(long pos) {
        long segmentStart = segments.floorKey(pos);
        try {
            FileChannel ch = channel(segmentStart);
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            long offset = pos - segmentStart;
            ch.read(header, offset);
            header.flip();
            int length = header.getInt();
            int crc = header.getInt();
            if (length <= 0 || length > MAX_ENTRY) {
                throw new IllegalStateException("outbox of sink '" + sinkName + "' is damaged at position " + pos
                        + " (record length " + length + ")");
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            while (payload.hasRemaining()) {
                if (ch.read(payload, offset + HEADER + payload.position()) < 0) {
                    throw new IllegalStateException("outbox of sink '" + sinkName + "' ends inside a record at "
                            + pos);
                }
            }
            if (crc(payload.array()) != crc) {
                throw new IllegalStateException("outbox of sink '" + sinkName + "' is damaged at position " + pos
                        + " (checksum mismatch)");
            }
            return payload.array();
        } catch (IOException e) {
            throw new UncheckedIOException("outbox of sink '" + sinkName + "' cannot be read: " + e.getMessage(), e);
        }
    }

    /** Deletes segments that hold nothing undelivered; the one being appended to stays. */
    private void deleteDeliveredSegments() {
        long head = liveCursor;
        for (long[] r : backlog) {
            head = Math.min(head, r[0]);
        }
        while (segments.size() > 1) {
            Map.Entry<Long, FileChannel> first = segments.firstEntry();
            Long next = segments.higherKey(first.getKey());
            if (next > head) {
                break;
            }
            try {
                first.getValue().close();
                Files.delete(segmentFile(first.getKey()));
            } catch (IOException e) {
                LOG.error("Outbox of sink '{}': cannot delete delivered segment {}: {}", sinkName,
                        segmentFile(first.getKey()), e.toString());
                break;
            }
            segments.remove(first.getKey());
        }
    }

    /** Records what is undelivered; forced with the segments by {@link #sync}. */
    private void writeCursor() {
        long[] state = new long[2 + 2 * backlog.size()];
        state[0] = liveCursor;
        state[1] = backlog.size();
        int i = 2;
        for (long[] r : backlog) {
            state[i++] = r[0];
            state[i++] = r[1];
        }
        try {
            cursor.write(state, forceEachAppend);
        } catch (IOException e) {
            LOG.error("Outbox of sink '{}': cannot write its cursor in {}: {}; after a restart some readings may be"
                    + " delivered again", sinkName, dir, e.toString());
        }
    }

    private static int crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        return (int) crc.getValue();
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
            for (FileChannel ch : segments.values()) {
                ch.close();
            }
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
