package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The value format of an outbox entry: the readings of one sample (one meter) for one sink. The meter's asset
 * fields and the enrichment time are written once per entry. Layout (big-endian, strings in modified UTF-8):
 * <pre>
 * byte version=1, int count, long appendedAtMillis, utf meterId, utf site, utf area, utf asset,
 * long enrichedAtSecond, int enrichedAtNano,
 * count × { long sequence, utf metric, byte phase, utf unit, byte valueTag (0 none, 1 real, 2 int, 3 text),
 *           value (double | long | utf), short quality, long acquiredAtSecond, int acquiredAtNano }
 * </pre>
 */
final class EntryCodec {
    private static final byte VERSION = 1;
    private static final Phase[] PHASES = Phase.values();
    private static final int HEADER_COUNT_OFFSET = 1;
    private static final int HEADER_APPENDED_OFFSET = 5;

    /**
     * An encoded entry: the first {@code length} bytes of {@code bytes}, which belong to the {@link Writer} that encoded
     * it and hold the entry until that writer encodes again (an append copies them into the outbox's record at once:
     * a copy per entry and sink saved on the poll loop).
     */
    record Encoded(byte[] bytes, int length) {
    }

    private EntryCodec() {
    }

    /**
     * Encodes entries into a buffer of its own, reused from entry to entry: one per appending run (not per thread, so
     * no driver thread keeps a stopped pipeline's classes). The fields go straight into the array, in the layout
     * {@link DataOutputStream} writes (the outboxes on disk hold it), without a stream's synchronised call per field
     * or a copy of each string.
     */
    static final class Writer {
        private byte[] buf = new byte[1024];
        private int pos;

        /** Encodes readings of one meter; the list is never empty. */
        Encoded encode(List<EnrichedReading> readings, long appendedAtMillis) {
            pos = 0;
            EnrichedReading first = readings.get(0);
            writeByte(VERSION);
            writeInt(readings.size());
            writeLong(appendedAtMillis);
            writeUtf(first.meterId());
            writeUtf(first.site());
            writeUtf(first.area());
            writeUtf(first.asset());
            writeLong(first.enrichedAt().getEpochSecond());
            writeInt(first.enrichedAt().getNano());
            for (EnrichedReading r : readings) {
                writeLong(r.sequence());
                writeUtf(r.metric());
                writeByte(r.phase().ordinal());
                writeUtf(r.unit());
                Value v = r.value();
                if (v == null) {
                    writeByte(0);
                } else if (v instanceof Value.Real real) {
                    writeByte(1);
                    writeLong(Double.doubleToLongBits(real.value()));
                } else if (v instanceof Value.Int integer) {
                    writeByte(2);
                    writeLong(integer.value());
                } else {
                    writeByte(3);
                    writeUtf(((Value.Text) v).value());
                }
                writeShort(r.quality().code());
                writeLong(r.acquiredAt().getEpochSecond());
                writeInt(r.acquiredAt().getNano());
            }
            return new Encoded(buf, pos);
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        private void writeByte(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        private void writeShort(int v) {
            ensure(2);
            buf[pos] = (byte) (v >>> 8);
            buf[pos + 1] = (byte) v;
            pos += 2;
        }

        private void writeInt(int v) {
            ensure(4);
            buf[pos] = (byte) (v >>> 24);
            buf[pos + 1] = (byte) (v >>> 16);
            buf[pos + 2] = (byte) (v >>> 8);
            buf[pos + 3] = (byte) v;
            pos += 4;
        }

        private void writeLong(long v) {
            writeInt((int) (v >>> 32));
            writeInt((int) v);
        }

        /**
         * Modified UTF-8 with a two-byte length, as {@link DataOutputStream#writeUTF}: U+0001–U+007F in one byte,
         * U+0000 and U+0080–U+07FF in two, the rest in three (a surrogate pair as two threes).
         */
        private void writeUtf(String s) {
            int chars = s.length();
            ensure(2 + 3 * chars);
            int start = pos;
            int at = start + 2;
            byte[] b = buf;
            int i = 0;
            for (; i < chars; i++) { // most strings here are ASCII
                char c = s.charAt(i);
                if (c == 0 || c >= 0x80) {
                    break;
                }
                b[at++] = (byte) c;
            }
            for (; i < chars; i++) {
                char c = s.charAt(i);
                if (c != 0 && c < 0x80) {
                    b[at++] = (byte) c;
                } else if (c < 0x800) {
                    b[at++] = (byte) (0xc0 | c >> 6);
                    b[at++] = (byte) (0x80 | c & 0x3f);
                } else {
                    b[at++] = (byte) (0xe0 | c >> 12);
                    b[at++] = (byte) (0x80 | c >> 6 & 0x3f);
                    b[at++] = (byte) (0x80 | c & 0x3f);
                }
            }
            int length = at - start - 2;
            if (length > 0xffff) {
                throw new UncheckedIOException(new UTFDataFormatException(
                        "a string of the entry is " + length + " bytes long in modified UTF-8; at most 65535 fit"));
            }
            b[start] = (byte) (length >>> 8);
            b[start + 1] = (byte) length;
            pos = at;
        }
    }

    /**
     * Decodes an entry. Strings that repeat (meter ids, asset fields, metric names, units) come from {@code strings}
     * instead of being decoded anew for every reading: decoding was most of a courier's work per reading.
     */
    static List<EnrichedReading> decode(byte[] entry, Strings strings) {
        Reader in = new Reader(entry, strings);
        int version = in.readByte();
        if (version != VERSION) {
            throw new IllegalStateException("outbox entry has format version " + version + ", expected " + VERSION);
        }
        int count = in.readInt();
        in.readLong();
        String meterId = in.readString();
        String site = in.readString();
        String area = in.readString();
        String asset = in.readString();
        Instant enrichedAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
        List<EnrichedReading> readings = new ArrayList<>(count);
        Instant acquiredAt = null;
        for (int i = 0; i < count; i++) {
            long sequence = in.readLong();
            String metric = in.readString();
            Phase phase = PHASES[in.readByte()];
            String unit = in.readString();
            Value value = switch (in.readByte()) {
                case 0 -> null;
                case 1 -> new Value.Real(Double.longBitsToDouble(in.readLong()));
                case 2 -> new Value.Int(in.readLong());
                case 3 -> new Value.Text(in.readText());
                default -> throw new IllegalStateException("outbox entry has an unknown value tag");
            };
            Quality quality = Quality.ofCode(in.readShort());
            long second = in.readLong();
            int nano = in.readInt();
            if (acquiredAt == null || acquiredAt.getEpochSecond() != second || acquiredAt.getNano() != nano) {
                acquiredAt = Instant.ofEpochSecond(second, nano); // a sample's readings mostly share it
            }
            readings.add(new EnrichedReading(sequence, meterId, site, area, asset, metric, phase, unit, value,
                    quality, acquiredAt, enrichedAt));
        }
        return readings;
    }

    /**
     * The strings a courier has decoded, by their encoded bytes: a direct-mapped table (a collision replaces the
     * older string), so it stays small with thousands of meters. Sized for a few thousand meters' ids, assets and
     * areas: with the load program's 500 meters, 4.2 % of the lookups missed with 2,048 slots and 0.16 % with 16,384.
     * One per courier thread; not thread-safe.
     */
    static final class Strings {
        private static final int SLOTS = 16_384;
        private final byte[][] keys = new byte[SLOTS][];
        private final String[] values = new String[SLOTS];

        String get(byte[] data, int offset, int length) {
            int hash = 1;
            for (int i = offset; i < offset + length; i++) {
                hash = 31 * hash + data[i];
            }
            int slot = (hash ^ hash >>> 16) & (SLOTS - 1);
            byte[] key = keys[slot];
            if (key != null && Arrays.equals(key, 0, key.length, data, offset, offset + length)) {
                return values[slot];
            }
            String value = decodeUtf(data, offset, length);
            keys[slot] = Arrays.copyOfRange(data, offset, offset + length);
            values[slot] = value;
            return value;
        }
    }

    /** Modified UTF-8 (what {@link DataOutputStream#writeUTF} wrote): ASCII directly, anything else by the JDK. */
    private static String decodeUtf(byte[] data, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (data[i] < 0) {
                try {
                    return new DataInputStream(new ByteArrayInputStream(data, offset - 2, length + 2)).readUTF();
                } catch (IOException e) {
                    throw new IllegalStateException("outbox entry has a damaged string: " + e.getMessage(), e);
                }
            }
        }
        return new String(data, offset, length, StandardCharsets.ISO_8859_1);
    }

    /** Big-endian fields read straight from the entry (no stream, no copy). */
    private static final class Reader {
        private final byte[] data;
        private final Strings strings;
        private int pos;

        Reader(byte[] data, Strings strings) {
            this.data = data;
            this.strings = strings;
        }

        private void need(int n) {
            if (pos + n > data.length) {
                throw new IllegalStateException("outbox entry is cut short at byte " + pos + " of " + data.length);
            }
        }

        int readByte() {
            need(1);
            return data[pos++];
        }

        int readShort() {
            need(2);
            int v = (short) ((data[pos] & 0xff) << 8 | data[pos + 1] & 0xff);
            pos += 2;
            return v;
        }

        int readInt() {
            need(4);
            int v = (data[pos] & 0xff) << 24 | (data[pos + 1] & 0xff) << 16 | (data[pos + 2] & 0xff) << 8
                    | data[pos + 3] & 0xff;
            pos += 4;
            return v;
        }

        long readLong() {
            return (long) readInt() << 32 | readInt() & 0xffffffffL;
        }

        /** A string that repeats from entry to entry. */
        String readString() {
            int length = readShort() & 0xffff;
            need(length);
            String s = strings.get(data, pos, length);
            pos += length;
            return s;
        }

        /** A text value: not kept (they need not repeat). */
        String readText() {
            int length = readShort() & 0xffff;
            need(length);
            String s = decodeUtf(data, pos, length);
            pos += length;
            return s;
        }
    }

    /** The number of readings in an entry, read from its header. */
    static int count(byte[] entry) {
        return (entry[HEADER_COUNT_OFFSET] & 0xff) << 24 | (entry[HEADER_COUNT_OFFSET + 1] & 0xff) << 16
                | (entry[HEADER_COUNT_OFFSET + 2] & 0xff) << 8 | entry[HEADER_COUNT_OFFSET + 3] & 0xff;
    }

    /** When the entry was appended (epoch milliseconds), read from its header. */
    static long appendedAt(byte[] entry) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | entry[HEADER_APPENDED_OFFSET + i] & 0xff;
        }
        return v;
    }
}
