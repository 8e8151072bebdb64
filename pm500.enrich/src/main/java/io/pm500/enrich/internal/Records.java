package io.pm500.enrich.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Whole log records ({@code int length, int CRC-32C, entry}) gathered for one outbox, appended to it with one write:
 * a poll loop's round of samples costs one write per outbox instead of one per sample. Kept for the next run; the
 * buffer grows to the largest run it held (at most about {@link Routes#WRITE_AT} bytes).
 */
final class Records {
    private ByteBuffer buffer = ByteBuffer.allocate(4096);
    private final CRC32C crc = new CRC32C();
    private int count;
    private long readings;
    private long firstAppendedAt;

    /** Adds a record for {@code entry}, copying it (its bytes belong to the writer that encoded it). */
    void add(EntryCodec.Encoded entry) {
        int record = SegmentLog.HEADER + entry.length();
        if (buffer.remaining() < record) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + record));
            buffer.flip();
            buffer = bigger.put(buffer);
        }
        crc.reset();
        crc.update(entry.bytes(), 0, entry.length());
        buffer.putInt(entry.length()).putInt((int) crc.getValue()).put(entry.bytes(), 0, entry.length());
        if (count++ == 0) {
            firstAppendedAt = EntryCodec.appendedAt(entry.bytes());
        }
        readings += EntryCodec.count(entry.bytes());
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Bytes of all the records, headers included. */
    int bytes() {
        return buffer.position();
    }

    long readings() {
        return readings;
    }

    /** When the first record's entry was appended (epoch milliseconds). */
    long firstAppendedAt() {
        return firstAppendedAt;
    }

    /** The records' bytes: {@code [0, bytes())} of the array. */
    byte[] array() {
        return buffer.array();
    }

    void clear() {
        buffer.clear();
        count = 0;
        readings = 0;
    }
}
