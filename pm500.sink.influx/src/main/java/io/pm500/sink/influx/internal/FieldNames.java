package io.pm500.sink.influx.internal;

import io.pm500.api.reading.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Line-protocol field names from the gateway's metric ids, by one rule for every profile (documented in
 * {@code docs/influx-line-protocol.md}): the phase goes to the {@code phase} tag, so the conductor part of the id
 * is dropped ({@code voltage.l1n} on L1 → {@code voltage}); power, energy and power factor take the seed's names
 * ({@code kW}, {@code kvar}, {@code kVA}, {@code kWh}, {@code power_factor}, …) and are written in that unit; a
 * {@code max.} or {@code demand.} prefix before a measured quantity becomes a suffix ({@code kW_max}, but the setting
 * {@code demand.interval} → {@code demand_interval}); any other part joins with {@code _}
 * ({@code voltage.l1l2} → {@code voltage_l1l2}, {@code run.hours} → {@code run_hours}).
 */
final class FieldNames {

    /** The field a metric becomes; {@code unit} is the unit it is written in, or null to keep the reading's. */
    record Field(String name, String unit) {
    }

    /** Metric stems with the seed's field names, each with the unit its field is written in. */
    private static final Map<String, Field> STEMS = Map.of(
            "power.active", new Field("kW", "kW"),
            "power.reactive", new Field("kvar", "kvar"),
            "power.apparent", new Field("kVA", "kVA"),
            "energy.active.import", new Field("kWh", "kWh"),
            "energy.active.export", new Field("kWh_export", "kWh"),
            "energy.reactive.import", new Field("kvarh", "kvarh"),
            "energy.reactive.export", new Field("kvarh_export", "kvarh"),
            "pf", new Field("power_factor", null));

    /** Parts naming the conductor a reading of that phase belongs to; the {@code phase} tag says it instead. */
    private static final Map<Phase, Set<String>> CONDUCTOR = Map.of(
            Phase.L1, Set.of("l1", "l1n"), Phase.L2, Set.of("l2", "l2n"), Phase.L3, Set.of("l3", "l3n"),
            Phase.N, Set.of("n"), Phase.TOTAL, Set.of("total", "avg", "ln"), Phase.NONE, Set.of("total"));

    private static final Set<String> SUFFIX_PREFIXES = Set.of("max", "demand");
    /** What a {@code max.} or {@code demand.} prefix must be followed by to become a suffix: a measured quantity. */
    private static final Set<String> QUANTITIES = Set.of("voltage", "current", "frequency", "power", "energy", "pf");

    // one map per phase, so a lookup allocates nothing
    private final List<Map<String, Field>> byPhase = new ArrayList<>();

    FieldNames() {
        for (int i = 0; i < Phase.values().length; i++) {
            byPhase.add(new ConcurrentHashMap<>());
        }
    }

    /** The field for a metric of a phase; derived once per metric and phase. */
    Field of(String metric, Phase phase) {
        Map<String, Field> cache = byPhase.get(phase.ordinal());
        Field f = cache.get(metric);
        return f != null ? f : cache.computeIfAbsent(metric, m -> derive(m, phase));
    }

    static Field derive(String metric, Phase phase) {
        List<String> parts = new ArrayList<>(List.of(metric.split("\\.")));
        parts.removeIf(String::isEmpty);
        String suffix = "";
        if (parts.size() > 1 && SUFFIX_PREFIXES.contains(parts.get(0)) && QUANTITIES.contains(parts.get(1))) {
            suffix = "_" + parts.remove(0);
        }
        String name = null;
        String unit = null;
        for (Map.Entry<String, Field> stem : STEMS.entrySet()) {
            List<String> stemParts = List.of(stem.getKey().split("\\."));
            if (parts.size() >= stemParts.size() && parts.subList(0, stemParts.size()).equals(stemParts)) {
                name = stem.getValue().name();
                unit = stem.getValue().unit();
                parts = new ArrayList<>(parts.subList(stemParts.size(), parts.size()));
                break;
            }
        }
        Set<String> conductor = CONDUCTOR.get(phase);
        StringBuilder b = new StringBuilder(name == null ? "" : name);
        for (String part : parts) {
            if (conductor.contains(part)) {
                continue;
            }
            if (b.length() > 0) {
                b.append('_');
            }
            b.append(part);
        }
        return new Field(b.length() == 0 ? metric.replace('.', '_') + suffix : b + suffix, unit);
    }
}
