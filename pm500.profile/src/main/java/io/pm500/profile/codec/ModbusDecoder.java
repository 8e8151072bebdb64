package io.pm500.profile.codec;

import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.ModbusSection;
import io.pm500.api.profile.WordOrder;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import java.time.Instant;
import java.util.List;

/**
 * Decodes one Modbus block from registers read in one or more requests. Built once per meter configuration;
 * {@link #decode} is a pure function that never throws: registers that do not cover the block become a
 * {@link AcquisitionStatus#PROTOCOL_ERROR} sample.
 */
public final class ModbusDecoder {
    private final ModbusBlock block;
    private final Field[] fields;
    private final int[] wireAddresses;
    private final WordOrder[] orders;
    private final int firstWire;
    private final int endWire;

    /**
     * @param wordOrderOverride a per-meter word order that replaces the profile's default, or {@code null}
     */
    public ModbusDecoder(ModbusSection section, ModbusBlock block, WordOrder wordOrderOverride) {
        this.block = block;
        this.fields = block.fields().toArray(Field[]::new);
        this.wireAddresses = new int[fields.length];
        this.orders = new WordOrder[fields.length];
        int first = Integer.MAX_VALUE;
        int end = 0;
        WordOrder defaultOrder = wordOrderOverride != null ? wordOrderOverride : section.wordOrder();
        for (int i = 0; i < fields.length; i++) {
            wireAddresses[i] = section.wireAddress(fields[i].address());
            orders[i] = fields[i].wordOrder() != null ? fields[i].wordOrder() : defaultOrder;
            first = Math.min(first, wireAddresses[i]);
            end = Math.max(end, wireAddresses[i] + fields[i].wordCount());
        }
        this.firstWire = fields.length == 0 ? 0 : first;
        this.endWire = fields.length == 0 ? 0 : end;
    }

    public ModbusBlock block() {
        return block;
    }

    /** First wire address the block needs. */
    public int firstWireAddress() {
        return firstWire;
    }

    /** Number of registers from {@link #firstWireAddress()} to the end of the last field. */
    public int span() {
        return endWire - firstWire;
    }

    /**
     * @param startWire wire address of {@code registers[0]}
     * @param registers register values as read (only the low 16 bits of each count)
     * @param count     how many registers are valid
     */
    public Sample decode(String meterId, Instant acquiredAt, int startWire, short[] registers, int count) {
        if (startWire > firstWire || startWire + count < endWire || count > registers.length) {
            return Sample.failed(meterId, block.id(), acquiredAt, AcquisitionStatus.PROTOCOL_ERROR,
                    "Modbus block " + block.id() + " needs registers " + firstWire + ".." + (endWire - 1)
                            + " but got " + count + " from " + startWire);
        }
        FieldCodec.Words words = i -> registers[i] & 0xffff;
        PointValue[] points = new PointValue[fields.length];
        for (int i = 0; i < fields.length; i++) {
            points[i] = new PointValue(fields[i].point(),
                    FieldCodec.decode(fields[i], words, wireAddresses[i] - startWire, orders[i]));
        }
        // immutable: Sample keeps it without a second copy
        return Sample.ok(meterId, block.id(), acquiredAt, List.of(points));
    }

    /**
     * Writes the block's registers for the given values (the simulator's side).
     *
     * @param values    the value of each field's point, in field order
     * @param startWire wire address of {@code registers[0]}; the array must cover the block
     */
    public void encode(Value[] values, int startWire, short[] registers) {
        FieldCodec.WordSink words = (i, w) -> registers[i] = (short) w;
        for (int i = 0; i < fields.length; i++) {
            FieldCodec.encode(fields[i], values[i], words, wireAddresses[i] - startWire, orders[i]);
        }
    }
}
