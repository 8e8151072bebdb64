package io.pm500.api.reading;

import io.pm500.api.sample.Value;
import java.time.Instant;

/**
 * One metric of one meter at one acquisition time, ready for any sink.
 *
 * @param sequence   assigned by the pipeline: unique and increasing per gateway, so a sink or its consumer
 *                   can drop the duplicates that at-least-once delivery may produce
 * @param meterId    the meter's configured id
 * @param site       site of the asset registry
 * @param area       area of the asset registry
 * @param asset      asset id of the meter
 * @param metric     metric name, e.g. {@code voltage.l1n}
 * @param phase      the conductor the metric belongs to
 * @param unit       engineering unit after any unit override, e.g. {@code kW}; empty when dimensionless
 * @param value      the value, or {@code null} when there is none (a {@link Quality#BAD} acquisition)
 * @param quality    the quality stamp
 * @param acquiredAt when the driver received the meter's reply; a meter's acquisitions never share a millisecond
 *                   (see {@link io.pm500.api.sample.Sample#acquiredAt()})
 * @param enrichedAt when this reading was made
 */
public record EnrichedReading(long sequence, String meterId, String site, String area, String asset, String metric,
        Phase phase, String unit, Value value, Quality quality, Instant acquiredAt, Instant enrichedAt) {

    public EnrichedReading {
        if (meterId == null || meterId.isBlank() || metric == null || metric.isBlank()) {
            throw new IllegalArgumentException("a reading needs a meter id and a metric name");
        }
        if (phase == null || quality == null || acquiredAt == null || enrichedAt == null) {
            throw new IllegalArgumentException(
                    "reading " + meterId + "/" + metric + " needs phase, quality, acquiredAt and enrichedAt");
        }
        if (value == null && quality == Quality.GOOD) {
            throw new IllegalArgumentException("reading " + meterId + "/" + metric + " is GOOD but has no value");
        }
        site = site == null ? "" : site;
        area = area == null ? "" : area;
        asset = asset == null ? "" : asset;
        unit = unit == null ? "" : unit;
    }

    public boolean hasValue() {
        return value != null;
    }
}
