package io.pm500.driver.modbus.internal;

import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.ModbusSection;
import java.util.ArrayList;
import java.util.List;

/**
 * Coalesces a block's fields into as few reads as the limits allow (like Telegraf's request optimisation):
 * neighbouring fields share a read when the gap between them is at most {@code maxGap} registers and the read
 * stays within {@code maxRegisters}. Computed once per configuration.
 */
final class RequestPlanner {
    private RequestPlanner() {
    }

    /**
     * @param maxGap unmapped registers a read may span; 0 unless the meter is known to answer them (the PM500
     *               simulator, like a strict device, answers Illegal Data Address)
     */
    static List<ReadRequest> plan(ModbusSection section, ModbusBlock block, int maxRegisters, int maxGap) {
        List<int[]> spans = new ArrayList<>(); // [start, end) per field, sorted
        for (Field f : block.fields()) {
            int start = section.wireAddress(f.address());
            spans.add(new int[] { start, start + f.wordCount() });
        }
        spans.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<ReadRequest> requests = new ArrayList<>();
        int start = -1;
        int end = -1;
        for (int[] span : spans) {
            if (start >= 0 && span[0] - end <= maxGap && span[1] - start <= maxRegisters) {
                end = Math.max(end, span[1]);
                continue;
            }
            if (start >= 0) {
                requests.add(new ReadRequest(block.functionCode(), start, end - start));
            }
            if (span[1] - span[0] > maxRegisters) {
                throw new IllegalArgumentException("field at wire address " + span[0] + " of block '" + block.id()
                        + "' needs " + (span[1] - span[0]) + " registers, more than maxRegistersPerRequest "
                        + maxRegisters);
            }
            start = span[0];
            end = span[1];
        }
        if (start >= 0) {
            requests.add(new ReadRequest(block.functionCode(), start, end - start));
        }
        return List.copyOf(requests);
    }
}
