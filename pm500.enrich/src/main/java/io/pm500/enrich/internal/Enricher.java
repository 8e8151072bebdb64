package io.pm500.enrich.internal;

import io.pm500.api.profile.PointKind;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns samples into enriched readings: asset ids, transformer ratios, unit conversion, quality stamps and derived
 * metrics. Stateless; the pipeline keeps what it needs between samples (the last good sample, whether the meter
 * is lost). The rules are in {@code docs/pipeline.md}.
 */
final class Enricher {

    private Enricher() {
    }

    /**
     * Hands out the sequence ids of one call. The pipeline reserves {@link #capacity} ids per sample at once, so a
     * sample's readings carry one contiguous range and the outbox's last entry always holds its highest id.
     */
    static final class Sequence {
        private long next;
        private final long end;

        Sequence(long first, int count) {
            this.next = first;
            this.end = first + count;
        }

        long next() {
            if (next >= end) {
                throw new IllegalStateException("sequence block exhausted");
            }
            return next++;
        }
    }

    /** How many sequence ids the readings of a sample of this block can take at most. */
    static int capacity(MeterModel model, String blockId, int samplePoints, Sample lastOk) {
        int points = Math.max(samplePoints, model.blockPoints(blockId)
                .map(List::size).orElse(lastOk == null ? 0 : lastOk.points().size()));
        return points + model.derived().size();
    }

    /**
     * The readings of one sample.
     *
     * @param lost   the meter's driver reports it lost: a failed read yields the last known values, STALE
     * @param lastOk the block's last good sample, or null
     */
    static List<EnrichedReading> enrich(MeterModel model, Sample sample, boolean lost, Sample lastOk,
            Sequence sequence, Instant now) {
        List<EnrichedReading> out;
        if (sample.status().isOk()) {
            out = new ArrayList<>(sample.points().size() + model.derived().size());
            for (PointValue pv : sample.points()) {
                MeterModel.Metric m = model.metric(pv.pointId());
                Value v = scale(pv.value(), m.factor());
                out.add(reading(model, sequence, m, v, quality(m.kind(), v), sample.acquiredAt(), now));
            }
        } else {
            out = fromLast(model, sample.blockId(), lastOk, lost ? Quality.STALE : Quality.BAD, lost,
                    sample.acquiredAt(), sequence, now);
        }
        derive(model, out, sequence, now);
        return out;
    }

    /** The block's last known values stamped STALE at {@code now}: no sample arrived for too long. */
    static List<EnrichedReading> stale(MeterModel model, String blockId, Sample lastOk, Sequence sequence,
            Instant now) {
        List<EnrichedReading> out = fromLast(model, blockId, lastOk, Quality.STALE, true, now, sequence, now);
        derive(model, out, sequence, now);
        return out;
    }

    /** The physical-range rule: a value that cannot be true is kept but UNCERTAIN. */
    static Quality quality(PointKind kind, Value v) {
        if (!v.isNumeric()) {
            return Quality.GOOD;
        }
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
            return Quality.UNCERTAIN;
        }
        if (kind == null) {
            return Quality.GOOD;
        }
        return switch (kind) {
            case VOLTAGE, CURRENT, APPARENT_POWER, FREQUENCY, ENERGY, RUN_HOURS -> d < 0 ? Quality.UNCERTAIN
                    : Quality.GOOD;
            case POWER_FACTOR -> Math.abs(d) > 1 ? Quality.UNCERTAIN : Quality.GOOD;
            default -> Quality.GOOD;
        };
    }

    /** Applies a factor; integers stay exact while the factor is a whole number and nothing overflows. */
    static Value scale(Value v, double factor) {
        if (factor == 1 || !v.isNumeric()) {
            return v;
        }
        if (v instanceof Value.Int i && factor == Math.rint(factor) && Math.abs(factor) < 0x1p62) {
            try {
                return new Value.Int(Math.multiplyExact(i.value(), (long) factor));
            } catch (ArithmeticException overflow) {
                return new Value.Real(i.value() * factor);
            }
        }
        return new Value.Real(v.asDouble() * factor);
    }

    private static List<EnrichedReading> fromLast(MeterModel model, String blockId, Sample lastOk, Quality quality,
            boolean keepLastValue, Instant acquiredAt, Sequence sequence, Instant now) {
        List<String> points = model.blockPoints(blockId)
                .orElseGet(() -> lastOk == null ? List.of() : lastOk.points().stream().map(PointValue::pointId).toList());
        List<EnrichedReading> out = new ArrayList<>(points.size() + model.derived().size());
        for (String pointId : points) {
            MeterModel.Metric m = model.metric(pointId);
            Value last = keepLastValue ? lastValue(lastOk, pointId) : null;
            out.add(reading(model, sequence, m, last == null ? null : scale(last, m.factor()), quality, acquiredAt,
                    now));
        }
        return out;
    }

    private static Value lastValue(Sample lastOk, String pointId) {
        if (lastOk != null) {
            for (PointValue pv : lastOk.points()) {
                if (pv.pointId().equals(pointId)) {
                    return pv.value();
                }
            }
        }
        return null;
    }

    /** Adds each derived metric whose inputs are all among the readings; its quality is the worst input's. */
    private static void derive(MeterModel model, List<EnrichedReading> out, Sequence sequence, Instant now) {
        if (model.derived().isEmpty() || out.isEmpty()) {
            return;
        }
        int produced = out.size();
        double[] values = new double[8];
        for (MeterModel.DerivedMetric d : model.derived()) {
            List<String> inputs = d.spec().inputs();
            if (values.length < inputs.size()) {
                values = new double[inputs.size()];
            }
            Quality worst = Quality.GOOD;
            boolean complete = true;
            int found = 0;
            for (String input : inputs) {
                EnrichedReading r = find(out, produced, input);
                if (r == null) {
                    break;
                }
                found++;
                worst = worst.worse(r.quality());
                if (r.value() == null || !r.value().isNumeric()) {
                    complete = false;
                } else {
                    values[found - 1] = r.value().asDouble();
                }
            }
            if (found < inputs.size()) {
                continue; // not this sample's metrics
            }
            Value v = complete ? new Value.Real(d.spec().function().apply(values, found)) : null;
            // no value: the inputs' own stamp says why (BAD or STALE); a value is also range-checked
            Quality q = v == null ? worst.worse(Quality.STALE) : worst.worse(quality(d.metric().kind(), v));
            out.add(reading(model, sequence, d.metric(), v, q, out.get(0).acquiredAt(), now));
        }
    }

    private static EnrichedReading find(List<EnrichedReading> readings, int n, String metric) {
        for (int i = 0; i < n; i++) {
            if (readings.get(i).metric().equals(metric)) {
                return readings.get(i);
            }
        }
        return null;
    }

    private static EnrichedReading reading(MeterModel model, Sequence sequence, MeterModel.Metric m, Value v,
            Quality q, Instant acquiredAt, Instant now) {
        AssetInfo a = model.asset();
        return new EnrichedReading(sequence.next(), a.meterId(), a.site(), a.area(), a.asset(), m.name(),
                m.phase(), m.unit(), v, q, acquiredAt, now);
    }
}
