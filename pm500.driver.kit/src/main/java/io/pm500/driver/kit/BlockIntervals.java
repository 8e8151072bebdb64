package io.pm500.driver.kit;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code blockIntervals} setting of a meter: {@code <block>=<milliseconds>} entries, 0 = once per connection. */
public final class BlockIntervals {
    /** The shortest poll interval a driver accepts. */
    public static final int MIN_INTERVAL_MILLIS = 50;

    private BlockIntervals() {
    }

    /**
     * Parses the entries (one per element; {@link io.pm500.kit.config.ConfigValues} splits a {@code .cfg} list);
     * each problem is added to {@code problems} with the fix.
     *
     * @param protocol the driver's protocol, for messages ({@code Modbus}, {@code EtherNet/IP})
     * @param blocks   the profile's block ids of that protocol
     * @return block id → interval in ms, in the order given
     */
    public static Map<String, Long> parse(String[] values, String protocol, Collection<String> blocks,
            List<String> problems) {
        Map<String, Long> intervals = new LinkedHashMap<>();
        for (String value : values) {
            String entry = value.trim();
            if (entry.isEmpty()) {
                continue;
            }
            String[] kv = entry.split("=", 2);
            String block = kv[0].trim();
            try {
                long ms = Long.parseLong(kv.length == 2 ? kv[1].trim() : "x");
                if (!blocks.contains(block)) {
                    problems.add("blockIntervals '" + entry + "': the profile has no " + protocol + " block '" + block
                            + "' (it has " + blocks + ")");
                } else if (ms != 0 && ms < MIN_INTERVAL_MILLIS) {
                    problems.add("blockIntervals '" + entry + "': an interval is 0 (once per connection) or at"
                            + " least " + MIN_INTERVAL_MILLIS + " ms");
                } else {
                    intervals.put(block, ms);
                }
            } catch (NumberFormatException e) {
                problems.add("blockIntervals '" + entry + "': write <block>=<milliseconds>, e.g. " + block + "=1000");
            }
        }
        if (intervals.isEmpty() && problems.isEmpty()) {
            problems.add("blockIntervals: no block to poll; name at least one of " + blocks);
        }
        return intervals;
    }
}
