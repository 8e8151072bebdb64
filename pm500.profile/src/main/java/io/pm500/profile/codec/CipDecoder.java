package io.pm500.profile.codec;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipSection;
import io.pm500.api.profile.Endianness;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.WordOrder;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

/**
 * Decodes one CIP block's data. Built once per meter configuration; {@link #decode} is a pure function that never
 * throws: a reply that does not fit the profile becomes a {@link AcquisitionStatus#PROTOCOL_ERROR} sample.
 */
public final class CipDecoder {
    private final CipBlock block;
    private final Field[] fields;
    private final int[] wordOffsets;
    private final WordOrder[] orders;
    private final boolean littleEndian;

    public CipDecoder(CipSection section, CipBlock block) {
        this.block = block;
        this.fields = block.fields().toArray(Field[]::new);
        this.wordOffsets = new int[fields.length];
        this.orders = new WordOrder[fields.length];
        this.littleEndian = section.byteOrder() == Endianness.LITTLE_ENDIAN;
        // In little-endian data a multi-word value's low word comes first.
        WordOrder order = littleEndian ? WordOrder.LOW_FIRST : WordOrder.HIGH_FIRST;
        int at = 0;
        for (int i = 0; i < fields.length; i++) {
            wordOffsets[i] = at;
            orders[i] = fields[i].wordOrder() == null ? order : fields[i].wordOrder();
            at += fields[i].wordCount();
        }
    }

    public CipBlock block() {
        return block;
    }

    /** Decodes the bytes from the buffer's position to its limit; the buffer is not modified. */
    public Sample decode(String meterId, Instant acquiredAt, ByteBuffer data) {
        int length = data.remaining();
        if (length != block.size()) {
            return Sample.failed(meterId, block.id(), acquiredAt, AcquisitionStatus.PROTOCOL_ERROR,
                    block.id() + " (class " + block.classId() + " instance " + block.instance() + "): " + length
                            + " bytes, the profile expects " + block.size());
        }
        int base = data.position();
        FieldCodec.Words words = littleEndian
                ? i -> (data.get(base + 2 * i) & 0xff) | (data.get(base + 2 * i + 1) & 0xff) << 8
                : i -> (data.get(base + 2 * i) & 0xff) << 8 | (data.get(base + 2 * i + 1) & 0xff);
        PointValue[] points = new PointValue[fields.length];
        for (int i = 0; i < fields.length; i++) {
            points[i] = new PointValue(fields[i].point(), FieldCodec.decode(fields[i], words, wordOffsets[i], orders[i]));
        }
        // immutable: Sample keeps it without a second copy
        return Sample.ok(meterId, block.id(), acquiredAt, List.of(points));
    }

    /**
     * Writes the block's data for the given values (the simulator's side): {@link CipBlock#size()} bytes from
     * the buffer's position, which advances past them.
     *
     * @param values the value of each field's point, in field order
     */
    public void encode(Value[] values, ByteBuffer out) {
        int base = out.position();
        FieldCodec.WordSink words = littleEndian
                ? (i, w) -> out.put(base + 2 * i, (byte) w).put(base + 2 * i + 1, (byte) (w >>> 8))
                : (i, w) -> out.put(base + 2 * i, (byte) (w >>> 8)).put(base + 2 * i + 1, (byte) w);
        for (int i = 0; i < fields.length; i++) {
            FieldCodec.encode(fields[i], values[i], words, wordOffsets[i], orders[i]);
        }
        out.position(base + block.size());
    }
}
