package io.pm500.driver.modbus.internal;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.WordOrder;
import io.pm500.driver.kit.BlockIntervals;
import io.pm500.driver.kit.MeterBasics;
import io.pm500.driver.kit.PollBlock;
import io.pm500.profile.codec.ModbusDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A meter's configuration, checked: every problem is named with the key and the fix, and nothing is polled
 * until all of it is right.
 */
record MeterSettings(String meterId, String host, int port, int unitId, int timeoutMillis, int retries,
        int lostAfter, boolean enabled, DeviceProfile profile, List<BlockPlan> blocks) {
    /** One block to poll: how often (0 = once per connection), the reads, and its decoder. */
    record BlockPlan(String blockId, long intervalMillis, List<ReadRequest> requests, ModbusDecoder decoder)
            implements PollBlock {
    }

    /** Block id → interval in ms (0 = once per connection), in poll order. */
    Map<String, Long> intervals() {
        Map<String, Long> intervals = new LinkedHashMap<>();
        blocks.forEach(b -> intervals.put(b.blockId(), b.intervalMillis()));
        return intervals;
    }

    String endpoint() {
        return host + ":" + port + " unit " + unitId;
    }

    static MeterSettings of(ModbusMeterComponent.Config c) {
        List<String> problems = new ArrayList<>();
        MeterBasics basics = MeterBasics.check(c.meterId(), c.host(), c.port(), "Modbus TCP: 502",
                c.timeoutMillis(), c.lostAfter(), c.profile(), problems);
        if (c.unitId() < 0 || c.unitId() > 255) {
            problems.add("unitId " + c.unitId() + ": must be 0..255");
        }
        if (c.retries() < 0 || c.retries() > 5) {
            problems.add("retries " + c.retries() + ": must be 0..5");
        }
        if (c.maxRegistersPerRequest() < 1 || c.maxRegistersPerRequest() > 125) {
            problems.add("maxRegistersPerRequest " + c.maxRegistersPerRequest() + ": must be 1..125");
        }
        if (c.maxGap() < 0) {
            problems.add("maxGap " + c.maxGap() + ": must be 0 or more");
        }
        WordOrder order = null;
        if (!c.wordOrder().isBlank()) {
            try {
                order = WordOrder.valueOf(c.wordOrder().trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add("wordOrder '" + c.wordOrder() + "': HIGH_FIRST, LOW_FIRST, or empty for the profile's");
            }
        }
        DeviceProfile profile = basics.profile();
        List<BlockPlan> blocks = new ArrayList<>();
        if (profile != null) {
            Map<String, Long> intervals = BlockIntervals.parse(c.blockIntervals(), "Modbus",
                    profile.modbus().blocks().stream().map(ModbusBlock::id).toList(), problems);
            for (ModbusBlock block : profile.modbus().blocks()) {
                Long interval = intervals.get(block.id());
                if (interval == null) {
                    continue; // not polled
                }
                try {
                    blocks.add(new BlockPlan(block.id(), interval,
                            RequestPlanner.plan(profile.modbus(), block, c.maxRegistersPerRequest(), c.maxGap()),
                            new ModbusDecoder(profile.modbus(), block, order)));
                } catch (IllegalArgumentException e) {
                    problems.add("maxRegistersPerRequest: " + e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Modbus meter '" + c.meterId() + "' not started: "
                    + String.join("; ", problems));
        }
        return new MeterSettings(basics.meterId(), basics.host(), c.port(), c.unitId(), c.timeoutMillis(), c.retries(), c.lostAfter(),
                c.enabled(), profile, List.copyOf(blocks));
    }
}
