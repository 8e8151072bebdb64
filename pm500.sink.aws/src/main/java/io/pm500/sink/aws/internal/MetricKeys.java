package io.pm500.sink.aws.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JSON keys from the gateway's metric ids, by one rule for every profile (documented in {@code
 * docs/aws-iot-payload.md}): camelCase words, conductors in capitals ({@code voltage.l1n} → {@code voltageL1N}),
 * power and energy named as analysts say them and suffixed with the unit they are sent in ({@code
 * power.active.total} → {@code activePowerTotalKw}, {@code energy.active.import.total} → {@code energyImportKwh}).
 */
final class MetricKeys {

    /** The key a metric becomes; {@code unit} is the unit it is sent in, or null to keep the reading's. */
    record Key(String name, String unit) {
    }

    private record Stem(String words, String unit, String suffix, boolean dropTotal) {
    }

    private static final Map<String, Stem> STEMS = Map.of(
            "power.active", new Stem("active power", "kW", "Kw", false),
            "power.reactive", new Stem("reactive power", "kvar", "Kvar", false),
            "power.apparent", new Stem("apparent power", "kVA", "Kva", false),
            "energy.active.import", new Stem("energy import", "kWh", "Kwh", true),
            "energy.active.export", new Stem("energy export", "kWh", "Kwh", true),
            "energy.reactive.import", new Stem("reactive energy import", "kvarh", "Kvarh", true),
            "energy.reactive.export", new Stem("reactive energy export", "kvarh", "Kvarh", true),
            "pf", new Stem("power factor", null, "", false));

    /** Conductor parts, written in capitals. */
    private static final Set<String> CONDUCTORS = Set.of("l1", "l2", "l3", "n", "l1n", "l2n", "l3n", "l1l2", "l2l3",
            "l3l1", "ln", "ll");

    private final Map<String, Key> cache = new ConcurrentHashMap<>();

    Key of(String metric) {
        Key k = cache.get(metric);
        return k != null ? k : cache.computeIfAbsent(metric, m -> derive(m, true));
    }

    /** The key without the power/energy naming, for a value that is not in its key's unit: camelCase of the id. */
    static String plain(String metric) {
        return derive(metric, false).name();
    }

    private static Key derive(String metric, boolean stems) {
        List<String> parts = new ArrayList<>(List.of(metric.split("[^A-Za-z0-9]+")));
        parts.removeIf(String::isEmpty);
        List<String> words = new ArrayList<>();
        if (parts.size() > 1 && (parts.get(0).equals("max") || parts.get(0).equals("demand"))) {
            words.add(parts.remove(0));
        }
        Stem stem = null;
        for (Map.Entry<String, Stem> e : stems ? STEMS.entrySet() : Map.<String, Stem>of().entrySet()) {
            List<String> stemParts = List.of(e.getKey().split("\\."));
            if (parts.size() >= stemParts.size() && parts.subList(0, stemParts.size()).equals(stemParts)) {
                stem = e.getValue();
                words.addAll(List.of(stem.words().split(" ")));
                parts = new ArrayList<>(parts.subList(stemParts.size(), parts.size()));
                break;
            }
        }
        for (String part : parts) {
            if (stem != null && stem.dropTotal() && part.equals("total")) {
                continue;
            }
            words.add(CONDUCTORS.contains(part) ? part.toUpperCase(Locale.ROOT) : part);
        }
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            if (b.length() == 0) {
                b.append(Character.toLowerCase(w.charAt(0))).append(w, 1, w.length());
            } else {
                b.append(Character.toUpperCase(w.charAt(0))).append(w, 1, w.length());
            }
        }
        if (b.length() == 0) {
            b.append("metric");
        }
        return stem == null ? new Key(b.toString(), null) : new Key(b + stem.suffix(), stem.unit());
    }
}
