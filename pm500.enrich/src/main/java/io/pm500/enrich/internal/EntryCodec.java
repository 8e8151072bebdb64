package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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

    private static final class Buffer extends ByteArrayOutputStream {
        final DataOutputStream data = new DataOutputStream(this);

        Buffer() {
            super(1024);
        }

        byte[] bytes() {
            return buf;
        }
    }

    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);

    /**
     * An encoded entry: the first {@code length} bytes of {@code bytes}, which belong to the encoding thread's buffer
     * and hold the entry until that thread encodes again (an append copies them into the outbox's record at once:
     * a copy per entry and sink saved on the poll loop).
     */
    record Encoded(byte[] bytes, int length) {
    }

    private EntryCodec() {
    }

    /** Encodes readings of one meter; the list is never empty. */
    static Encoded encode(List<EnrichedReading> readings, long appendedAtMillis) {
        Buffer buffer = BUFFER.get();
        buffer.reset();
        DataOutputStream out = buffer.data;
        try {
            EnrichedReading first = readings.get(0);
            out.writeByte(VERSION);
            out.writeInt(readings.size());
            out.writeLong(appendedAtMillis);
            out.writeUTF(first.meterId());
            out.writeUTF(first.site());
            out.writeUTF(first.area());
            out.writeUTF(first.asset());
            out.writeLong(first.enrichedAt().getEpochSecond());
            out.writeInt(first.enrichedAt().getNano());
            for (EnrichedReading r : readings) {
                out.writeLong(r.sequence());
                out.writeUTF(r.metric());
                out.writeByte(r.phase().ordinal());
                out.writeUTF(r.unit());
                Value v = r.value();
                if (v == null) {
                    out.writeByte(0);
                } else if (v instanceof Value.Real real) {
                    out.writeByte(1);
                    out.writeDouble(real.value());
                } else if (v instanceof Value.Int integer) {
                    out.writeByte(2);
                    out.writeLong(integer.value());
                } else {
                    out.writeByte(3);
                    out.writeUTF(((Value.Text) v).value());
                }
                out.writeShort(r.quality().code());
                out.writeLong(r.acquiredAt().getEpochSecond());
                out.writeInt(r.acquiredAt().getNano());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return new Encoded(buffer.bytes(), buffer.size());
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
