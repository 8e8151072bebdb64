package io.pm500.enrich.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only log of records in segment files of about {@value #SEGMENT_BYTES} bytes, addressed by position (the
 * byte offset since the log began; a segment file is named by its first position). A record is {@code int length,
 * int CRC-32C, entry}. Appends are plain positional writes, so they reach the operating system before
 * {@link #append} returns; reads are positional too and take the log's monitor only to find their segment, so a
 * reader never holds up an appender. A run of records is read ahead in one read of up to {@value #READ_AHEAD} bytes
 * ({@link #read(long, long)}). On opening, the last segment is checked record by record and cut at the first torn or
 * damaged record.
 */
final class SegmentLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentLog.class);
    static final long SEGMENT_BYTES = 16L << 20;
    static final int HEADER = 8;
    private static final int MAX_ENTRY = 64 << 20;
    private static final String SUFFIX = ".seg";
    /** Bytes read at once for a run of records: a batch's worth of entries, not two reads per entry. */
    static final int READ_AHEAD = 64 << 10;

    private final String sinkName;
    private final Path dir;
    private final TreeMap<Long, FileChannel> segments = new TreeMap<>();
    /** Segments rolled over since the outbox's last sync: never written again, forced once by that sync. */
    private final List<Long> rolled = new ArrayList<>();
    private long tail;
    private boolean closed;
    /** Records read ahead: the bytes of positions [aheadFrom, aheadFrom + aheadLength), guarded by itself. */
    private final ByteBuffer ahead = ByteBuffer.allocate(READ_AHEAD);
    private long aheadFrom;
    private int aheadLength;

    /** Opens the segments in {@code dir}; without any, starts an empty log at {@code start}. */
    SegmentLog(String sinkName, Path dir, long start) throws IOException {
        this.sinkName = sinkName;
        this.dir = dir;
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                String name = p.getFileName().toString();
                segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), open(p));
            }
        }
        if (segments.isEmpty()) {
            segments.put(start, open(segmentFile(start)));
        }
        tail = recoverTail();
    }

    /** Where the next record goes. */
    synchronized long tail() {
        return tail;
    }

    /** The first position the log still holds. */
    synchronized long head() {
        return segments.firstKey();
    }

    /** The first position of the segment after the one holding {@code pos}; null in the last segment. */
    synchronized Long nextSegment(long pos) {
        return segments.higherKey(pos);
    }

    /**
     * Appends the records; returns the new tail. A run of records that fits in the active segment is written at
     * once; a full segment is left for the next sync to force ({@link #unforced}) and a new one begun: forcing 16 MB
     * here would hold the appending thread — a driver's poll loop — for as long as the disk takes.
     *
     * @param force force the records to the disk before returning
     * @throws IOException when they cannot be written (the tail then stays where the last whole write left it)
     */
    synchronized long append(Records records, boolean force) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(records.array(), 0, records.bytes());
        int from = 0;
        while (from < records.bytes()) {
            Map.Entry<Long, FileChannel> active = segments.lastEntry();
            long room = SEGMENT_BYTES - (tail - active.getKey());
            int to = from;
            while (to < records.bytes() && HEADER + all.getInt(to) + (to - from) <= room) {
                to += HEADER + all.getInt(to);
            }
            if (to == from) {
                if (tail > active.getKey()) { // a record that does not fit begins a new segment
                    if (!force) { // else each of its records was forced as it was appended
                        rolled.add(active.getKey());
                    }
                    segments.put(tail, open(segmentFile(tail)));
                    continue;
                }
                to += HEADER + all.getInt(to); // larger than a segment: it has one of its own
            }
            ByteBuffer run = ByteBuffer.wrap(records.array(), from, to - from);
            long at = tail - active.getKey();
            FileChannel ch = channel(active.getKey());
            while (run.hasRemaining()) {
                at += ch.write(run, at);
            }
            if (force) {
                ch.force(false);
            }
            tail += to - from;
            from = to;
        }
        return tail;
    }

    /**
     * The entry of the record at {@code pos}, reading the records after it up to {@code to} ahead when it is not read
     * already. Only for a region no trim or delivery can delete meanwhile (a batch being taken, the log being
     * opened): every byte before {@code to} belongs to a whole record.
     *
     * @throws IllegalStateException when the record there is damaged (its length or checksum)
     * @throws UncheckedIOException  when the file cannot be read
     */
    byte[] read(long pos, long to) {
        synchronized (ahead) {
            byte[] entry = readAhead(pos);
            if (entry != null) {
                return entry;
            }
            fill(pos, to);
            entry = readAhead(pos);
            if (entry != null) {
                return entry;
            }
        }
        return read(pos); // longer than the read-ahead, or damaged: read and checked on its own
    }

    /** The entry at {@code pos} from the read-ahead, or null when it is not wholly there. */
    private byte[] readAhead(long pos) {
        long offset = pos - aheadFrom;
        if (offset < 0 || offset + HEADER > aheadLength) {
            return null;
        }
        int at = (int) offset;
        int length = ahead.getInt(at);
        if (length <= 0 || at + HEADER + length > aheadLength) {
            return null;
        }
        byte[] entry = new byte[length];
        ahead.get(at + HEADER, entry);
        if (crc(entry, length) != ahead.getInt(at + 4)) {
            return null;
        }
        return entry;
    }

    /** Reads from {@code pos} to {@code to} or the end of its segment, at most {@value #READ_AHEAD} bytes. */
    private void fill(long pos, long to) {
        FileChannel ch;
        long segmentStart;
        long end;
        synchronized (this) {
            segmentStart = segments.floorKey(pos);
            Long next = segments.higherKey(pos);
            end = next == null ? to : Math.min(to, next);
            try {
                ch = channel(segmentStart);
            } catch (IOException e) {
                throw new UncheckedIOException("outbox of sink '" + sinkName + "' cannot be read: " + e.getMessage(),
                        e);
            }
        }
        aheadFrom = pos;
        aheadLength = 0;
        ahead.clear().limit((int) Math.max(0, Math.min(READ_AHEAD, end - pos)));
        try {
            while (ahead.hasRemaining() && ch.read(ahead, pos - segmentStart + ahead.position()) >= 0) {
                // until the limit or the end of the file
            }
        } catch (IOException e) {
            throw new UncheckedIOException("outbox of sink '" + sinkName + "' cannot be read: " + e.getMessage(), e);
        }
        aheadLength = ahead.position();
    }

    /**
     * The entry of the record at {@code pos}, read on its own.
     *
     * @throws IllegalStateException when the record there is damaged (its length or checksum)
     * @throws UncheckedIOException  when the file cannot be read
     */
    byte[] read(long pos) {
        FileChannel ch;
        long segmentStart;
        synchronized (this) {
            segmentStart = segments.floorKey(pos);
            try {
                ch = channel(segmentStart);
            } catch (IOException e) {
                throw new UncheckedIOException("outbox of sink '" + sinkName + "' cannot be read: " + e.getMessage(),
                        e);
            }
        }
        try {
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
            if (crc(payload.array(), length) != crc) {
                throw new IllegalStateException("outbox of sink '" + sinkName + "' is damaged at position " + pos
                        + " (checksum mismatch)");
            }
            return payload.array();
        } catch (IOException e) {
            throw new UncheckedIOException("outbox of sink '" + sinkName + "' cannot be read: " + e.getMessage(), e);
        }
    }

    /** Deletes the segments that lie wholly before {@code head}; the one being appended to stays. */
    synchronized void deleteBefore(long head) {
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

    /** The segments rolled over since the last call and the one appends go to now, to be forced outside the monitor. */
    synchronized List<FileChannel> unforced() throws IOException {
        List<FileChannel> unforced = new ArrayList<>();
        for (long start : rolled) {
            if (segments.containsKey(start)) { // else delivered and deleted already
                unforced.add(channel(start));
            }
        }
        rolled.clear();
        unforced.add(channel(segments.lastKey()));
        return unforced;
    }

    /**
     * The segment's channel, opened again if an interrupted thread closed it (a {@link FileChannel} closes itself
     * when a thread blocked in it is interrupted, and drivers interrupt their threads when they stop).
     */
    private FileChannel channel(long segmentStart) throws IOException {
        if (closed) {
            throw new ClosedChannelException(); // closed on purpose: never reopened
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
            if (crc(payload.array(), length) != crc) {
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

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        for (FileChannel ch : segments.values()) {
            ch.close();
        }
    }
}
