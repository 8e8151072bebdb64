package io.pm500.sink.sparkplug.internal;

import java.util.Map;

/**
 * Sparkplug metric names from the gateway's metric ids: each dot-separated part becomes a folder, so hosts such as
 * Ignition show a tree ({@code voltage.l1n} → {@code Voltage/L1-N}, {@code power.active.total} →
 * {@code Power/Active/Total}). One rule for every profile, documented in {@code docs/sparkplug-b.md}.
 */
final class MetricNames {
    /** Parts that are not just capitalised: conductors and abbreviations. */
    private static final Map<String, String> PARTS = Map.ofEntries(Map.entry("l1n", "L1-N"),
            Map.entry("l2n", "L2-N"), Map.entry("l3n", "L3-N"), Map.entry("l1l2", "L1-L2"),
            Map.entry("l2l3", "L2-L3"), Map.entry("l3l1", "L3-L1"), Map.entry("ln", "L-N"), Map.entry("ll", "L-L"),
            Map.entry("l1", "L1"), Map.entry("l2", "L2"), Map.entry("l3", "L3"), Map.entry("n", "N"),
            Map.entry("pf", "Power Factor"), Map.entry("avg", "Average"), Map.entry("max", "Maximum"),
            Map.entry("ct", "CT"), Map.entry("vt", "VT"), Map.entry("ethernetip", "EtherNetIP"));

    private MetricNames() {
    }

    static String of(String metricId) {
        StringBuilder name = new StringBuilder(metricId.length() + 8);
        for (String part : metricId.split("\\.")) {
            if (part.isEmpty()) {
                continue;
            }
            if (name.length() > 0) {
                name.append('/');
            }
            String known = PARTS.get(part);
            name.append(known != null ? known : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return name.toString();
    }
}
