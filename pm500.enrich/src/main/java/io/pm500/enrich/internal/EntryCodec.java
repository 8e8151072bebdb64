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
import java.time.Instant;
import java.util.ArrayList;
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
    }

    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);

    private EntryCodec() {
    }

    /** Encodes readings of one meter; the list is never empty. */
    static byte[] encode(List<EnrichedReading> readings, long appendedAtMillis) {
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
        return buffer.toByteArray();
    }

    static List<EnrichedReading> decode(byte[] entry) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
            int version = in.readByte();
            if (version != VERSION) {
                throw new IllegalStateException("outbox entry has format version " + version + ", expected " + VERSION);
            }
            int count = in.readInt();
            in.readLong();
            String meterId = in.readUTF();
            String site = in.readUTF();
            String area = in.readUTF();
            String asset = in.readUTF();
            Instant enrichedAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
            List<EnrichedReading> readings = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long sequence = in.readLong();
                String metric = in.readUTF();
                Phase phase = PHASES[in.readByte()];
                String unit = in.readUTF();
                Value value = switch (in.readByte()) {
                    case 0 -> null;
                    case 1 -> new Value.Real(in.readDouble());
                    case 2 -> new Value.Int(in.readLong());
                    case 3 -> new Value.Text(in.readUTF());
                    default -> throw new IllegalStateException("outbox entry has an unknown value tag");
                };
                Quality quality = Quality.ofCode(in.readShort());
                Instant acquiredAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
                readings.add(new EnrichedReading(sequence, meterId, site, area, asset, metric, phase, unit, value,
                        quality, acquiredAt, enrichedAt));
            }
            return readings;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
