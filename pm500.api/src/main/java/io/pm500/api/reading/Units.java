package io.pm500.api.reading;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Conversions between decimal multiples of the units a power meter reports (W ↔ kW ↔ MW, Wh ↔ kWh, V ↔ kV, …).
 * Only the SI prefix may differ; a conversion between different base units (W → Wh) does not exist.
 */
public final class Units {
    private static final Map<String, Integer> PREFIXES = Map.of("", 0, "m", -3, "k", 3, "M", 6, "G", 9);
    private static final Set<String> BASES = Set.of("W", "var", "VA", "Wh", "varh", "VAh", "V",
            "A", "Hz");

    private Units() {
    }

    /**
     * The factor that turns a value in {@code from} into one in {@code to}, e.g. 0.001 for Wh → kWh; empty when the
     * two are not decimal multiples of one base unit.
     */
    public static Optional<Double> factor(String from, String to) {
        if (from.equals(to)) {
            return Optional.of(1.0);
        }
        Optional<Parsed> a = parse(from);
        Optional<Parsed> b = parse(to);
        if (a.isEmpty() || b.isEmpty() || !a.get().base().equals(b.get().base())) {
            return Optional.empty();
        }
        return Optional.of(Math.pow(10, a.get().exponent() - b.get().exponent()));
    }

    /** True when the unit is a prefixed base unit this class converts. */
    public static boolean known(String unit) {
        return parse(unit).isPresent();
    }

    private static Optional<Parsed> parse(String unit) {
        if (BASES.contains(unit)) {
            return Optional.of(new Parsed(0, unit));
        }
        if (unit.length() > 1) {
            Integer exponent = PREFIXES.get(unit.substring(0, 1));
            String base = unit.substring(1);
            if (exponent != null && BASES.contains(base)) {
                return Optional.of(new Parsed(exponent, base));
            }
        }
        return Optional.empty();
    }

    private record Parsed(int exponent, String base) {
    }
}
