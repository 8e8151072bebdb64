package io.pm500.enrich.internal;

import io.pm500.api.reading.Units;
import java.util.ArrayList;
import java.util.List;

/**
 * The enrichment rules of the pipeline configuration, validated.
 *
 * @param staleFactor   a block's values are STALE once no sample arrived for this many poll intervals
 * @param unitOverrides metric (or {@code prefix.*}) → unit to publish it in
 * @param derived       metrics computed from others
 */
record EnrichSettings(int staleFactor, List<UnitOverride> unitOverrides, List<Derived> derived) {

    /** Publish {@code metric} (exact, or every metric starting with what precedes a final {@code *}) in {@code unit}. */
    record UnitOverride(String pattern, String unit) {
        boolean matches(String metric) {
            return isPattern() ? metric.startsWith(pattern.substring(0, pattern.length() - 1)) : pattern.equals(metric);
        }

        boolean isPattern() {
            return pattern.endsWith("*");
        }
    }

    EnrichSettings {
        unitOverrides = List.copyOf(unitOverrides);
        derived = List.copyOf(derived);
    }

    static EnrichSettings of(int staleFactor, String[] unitOverrides, String[] derived) {
        if (staleFactor < 2) {
            throw new IllegalArgumentException("pipeline: staleFactor is " + staleFactor + "; it must be at least 2"
                    + " (a value is STALE after that many missed poll intervals)");
        }
        List<UnitOverride> overrides = new ArrayList<>();
        for (String spec : unitOverrides) {
            int eq = spec.indexOf('=');
            String pattern = eq < 0 ? "" : spec.substring(0, eq).trim();
            String unit = eq < 0 ? "" : spec.substring(eq + 1).trim();
            if (pattern.isEmpty() || unit.isEmpty()) {
                throw new IllegalArgumentException("pipeline: unit override '" + spec + "' is not <metric>=<unit>,"
                        + " e.g. power.active.total=W or energy.*=kWh");
            }
            if (!Units.known(unit)) {
                throw new IllegalArgumentException("pipeline: unit override '" + spec + "': '" + unit + "' is not a"
                        + " unit the gateway converts to; use W, var, VA, Wh, varh, VAh, V, A or Hz with an optional"
                        + " m, k, M or G prefix");
            }
            overrides.add(new UnitOverride(pattern, unit));
        }
        List<Derived> parsed = new ArrayList<>();
        for (String spec : derived) {
            parsed.add(Derived.parse(spec));
        }
        return new EnrichSettings(staleFactor, overrides, parsed);
    }
}
