package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Report-by-exception for one sink: a reading passes when it is the metric's first, its quality or presence of a
 * value changed, its value moved by more than the deadband since the last one that passed, or the last one that
 * passed is {@code maxSilence} older (by acquisition time). The deadband is the larger of the absolute one and the
 * percentage of the last passed value; zero passes every change. Callers serialise calls per meter.
 */
final class ExceptionFilter {

    /**
     * @param absolute   absolute deadband in the metric's published unit, ≥ 0
     * @param percent    deadband in percent of the last passed value, ≥ 0
     * @param maxSilence a value is passed at least this often even when unchanged
     */
    record Deadband(double absolute, double percent, Duration maxSilence) {
    }

    private static final class Last {
        Value value;
        Quality quality;
        Instant passedAt;
    }

    private final Deadband deadband;
    private final Map<String, Map<String, Last>> byMeter = new ConcurrentHashMap<>();

    ExceptionFilter(Deadband deadband) {
        this.deadband = deadband;
    }

    /** The readings (all of one meter) that pass; the same list when all do. */
    List<EnrichedReading> filter(List<EnrichedReading> readings) {
        if (readings.isEmpty()) {
            return readings;
        }
        Map<String, Last> last = byMeter.computeIfAbsent(readings.get(0).meterId(), k -> new HashMap<>());
        List<EnrichedReading> passed = null;
        for (int i = 0; i < readings.size(); i++) {
            EnrichedReading r = readings.get(i);
            boolean pass = passes(last.computeIfAbsent(r.metric(), k -> new Last()), r);
            if (!pass && passed == null) {
                passed = new ArrayList<>(readings.subList(0, i));
            } else if (pass && passed != null) {
                passed.add(r);
            }
        }
        return passed == null ? readings : passed;
    }

    private boolean passes(Last last, EnrichedReading r) {
        boolean pass = last.passedAt == null || last.quality != r.quality() || changed(last.value, r.value())
                || Duration.between(last.passedAt, r.acquiredAt()).compareTo(deadband.maxSilence()) >= 0;
        if (pass) {
            last.value = r.value();
            last.quality = r.quality();
            last.passedAt = r.acquiredAt();
        }
        return pass;
    }

    boolean changed(Value before, Value now) {
        if (before == null || now == null || !before.isNumeric() || !now.isNumeric()) {
            return !Objects.equals(before, now);
        }
        double a = before.asDouble();
        double b = now.asDouble();
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) != Double.isNaN(b);
        }
        if (Double.isInfinite(a) || Double.isInfinite(b)) {
            return a != b;
        }
        double band = Math.max(deadband.absolute(), deadband.percent() / 100 * Math.abs(a));
        return Math.abs(b - a) > band;
    }
}
