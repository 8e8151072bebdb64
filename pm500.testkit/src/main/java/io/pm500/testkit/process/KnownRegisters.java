package io.pm500.testkit.process;

import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.ModbusSection;
import io.pm500.api.profile.Transform;
import io.pm500.api.sample.Value;
import io.pm500.testkit.process.PyModbusPeer.Register;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A known value for every field of a Modbus map, for {@link PyModbusPeer} to encode, and the value a driver must
 * read back: unsigned words above 32767, counters past 2^32, 2^48 and 2^53 (where a double would lose the last
 * digit), an hours-and-minutes counter, REALs exact in a float, and the serial string. Written from the field types
 * alone, not with our codec.
 *
 * @param registers what the server holds
 * @param expected  point id → the value a read must give
 */
public record KnownRegisters(List<Register> registers, Map<String, Value> expected) {
    /** The serial string every STRING field holds. */
    public static final String SERIAL = "1420V2A-12345";

    public static KnownRegisters of(ModbusSection map) {
        List<Register> registers = new ArrayList<>();
        Map<String, Value> expected = new LinkedHashMap<>();
        int n = 0;
        for (ModbusBlock block : map.blocks()) {
            for (Field f : block.fields()) {
                n++;
                if (f.scale() != 1.0) {
                    throw new IllegalArgumentException(f.point() + ": known values assume unscaled fields");
                }
                String raw;
                Value value;
                switch (f.type()) {
                    case UINT -> {
                        raw = String.valueOf(40_000 + n);
                        value = Value.of(40_000L + n);
                    }
                    case ULINT -> {
                        if (f.transform() == Transform.HOURS_MINUTES) {
                            raw = "1234545"; // 12345 h 45 min
                            value = Value.of(12_345.75);
                        } else {
                            long v = switch (n % 3) {
                                case 0 -> (1L << 32) + n;
                                case 1 -> (1L << 48) + 123_456_789L + n;
                                default -> (1L << 53) + 1 + 2L * n;
                            };
                            raw = Long.toString(v);
                            value = Value.of(v);
                        }
                    }
                    case REAL -> {
                        float v = 100.5f + 0.25f * n;
                        raw = Float.toString(v);
                        value = Value.of((double) v);
                    }
                    case STRING -> {
                        raw = SERIAL;
                        value = Value.of(SERIAL);
                    }
                    default -> throw new IllegalArgumentException(f.point() + ": no known value for " + f.type()
                            + " fields yet; add one here");
                }
                registers.add(new Register(block.functionCode(), map.wireAddress(f.address()), f.type().name(), raw,
                        f.type().name().equals("STRING") ? f.words() : null));
                expected.put(f.point(), value);
            }
        }
        return new KnownRegisters(List.copyOf(registers), Map.copyOf(expected));
    }

    /** The {@code [fc, start, count]} ranges of one block's fields, for a {@link PyModbusPeer.Server} to lack. */
    public static List<int[]> ranges(ModbusSection map, String blockId) {
        ModbusBlock block = map.blocks().stream().filter(b -> b.id().equals(blockId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the map has no block " + blockId));
        return block.fields().stream()
                .map(f -> new int[] { block.functionCode(), map.wireAddress(f.address()), f.wordCount() }).toList();
    }
}
