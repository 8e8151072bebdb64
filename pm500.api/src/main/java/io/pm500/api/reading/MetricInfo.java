package io.pm500.api.reading;

/**
 * One metric a meter publishes, known before its first reading.
 *
 * @param metric the metric name, as in {@link EnrichedReading#metric()}
 * @param phase  the conductor it belongs to
 * @param unit   the published unit (after unit overrides); empty when dimensionless
 * @param kind   the shape its values take
 */
public record MetricInfo(String metric, Phase phase, String unit, Kind kind) {

    /** The value shape: {@link io.pm500.api.sample.Value.Real}, {@code Int} or {@code Text}. */
    public enum Kind {
        REAL, INT, TEXT
    }

    public MetricInfo {
        if (metric == null || metric.isBlank() || phase == null || kind == null) {
            throw new IllegalArgumentException("metric info needs a metric name, phase and kind");
        }
        unit = unit == null ? "" : unit;
    }
}
