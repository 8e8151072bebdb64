package io.pm500.api.reading;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Conversions between decimal multiples of the units a power meter reports (W ↔ kW ↔ MW, Wh ↔ kWh, V ↔ kV, …).
 * Only the SI prefix may differ; a conversion between different base units (W → Wh) does not exist.
 */
public final class Units {
    private static final Map<String, Integer> PREFIXES = Map.of("", 0, "m", -3, "k", 3, "M", 6, "G", 9);
    private static final Set<String> BASES = Set.of("W", "var", "VA", "Wh", "varh", "VAh", "V",
            "A", "Hz");
    /** Every unit this class converts, parsed once: a historian converts units for every reading it writes. */
    private static final Map<String, Parsed> KNOWN = known();
    /** The factors 10^-12 … 10^12 in steps of 3 (the prefixes' exponents), so that a conversion allocates nothing. */
    private static final List<Optional<Double>> FACTORS = IntStream.rangeClosed(-4, 4)
            .mapToObj(i -> Optional.of(Math.pow(10, 3 * i))).toList();

    private Units() {
    }

    /**
     * The factor that turns a value in {@code from} into one in {@code to}, e.g. 0.001 for Wh → kWh; empty when the
     * two are not decimal multiples of one base unit.
     */
    public static Optional<Double> factor(String from, String to) {
        if (from.equals(to)) {
            return FACTORS.get(4);
        }
        Parsed a = KNOWN.get(from);
        Parsed b = KNOWN.get(to);
        if (a == null || b == null || !a.base().equals(b.base())) {
            return Optional.empty();
        }
        return FACTORS.get((a.exponent() - b.exponent()) / 3 + 4);
    }

    /** True when the unit is a prefixed base unit this class converts. */
    public static boolean known(String unit) {
        return KNOWN.containsKey(unit);
    }

    private static Map<String, Parsed> known() {
        Map<String, Parsed> known = new HashMap<>();
        PREFIXES.forEach((prefix, exponent) -> BASES.forEach(base -> known.put(prefix + base,
                new Parsed(exponent, base))));
        return Map.copyOf(known);
    }

    private record Parsed(int exponent, String base) {
    }
}
