package io.pm500.sink.influx.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.reading.Units;
import io.pm500.api.sample.Value;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes enriched readings as InfluxDB line protocol, one line per meter × phase × acquisition time (the data
 * contract is {@code docs/influx-line-protocol.md}). Appends to a caller's buffer and allocates nothing per reading
 * on the common path.
 */
final class LineProtocol {
    private static final Logger LOG = LoggerFactory.getLogger(LineProtocol.class);

    /** Timestamp precision of the lines; the write request names it. */
    enum Precision {
        MS, NS
    }

    /** The {@code phase} tag values, in line order; {@link Phase#NONE} metrics ride on the {@code total} line. */
    private static final Phase[] LINE_PHASES = { Phase.L1, Phase.L2, Phase.L3, Phase.N, Phase.TOTAL };

    private final String measurement;
    private final boolean areaTag;
    private final boolean meterTag;
    private final Precision precision;
    private final FieldNames fieldNames = new FieldNames();
    private final Set<String> unconvertible = ConcurrentHashMap.newKeySet();

    LineProtocol(String measurement, boolean areaTag, boolean meterTag, Precision precision) {
        StringBuilder m = new StringBuilder();
        escape(measurement, m, false);
        this.measurement = m.toString();
        this.areaTag = areaTag;
        this.meterTag = meterTag;
        this.precision = precision;
    }

    Precision precision() {
        return precision;
    }

    /** Appends the lines of a batch to {@code out}, each ending in a newline; returns how many lines. */
    int encode(List<EnrichedReading> batch, StringBuilder out) {
        int lines = 0;
        int n = batch.size();
        for (int start = 0; start < n;) {
            EnrichedReading first = batch.get(start);
            int end = start + 1;
            while (end < n && sameSample(first, batch.get(end))) {
                end++;
            }
            for (Phase phase : LINE_PHASES) {
                lines += line(batch, start, end, phase, out);
            }
            start = end;
        }
        return lines;
    }

    /** Readings of one meter at one acquisition time; the pipeline keeps a sample's readings together. */
    private static boolean sameSample(EnrichedReading a, EnrichedReading b) {
        return a.meterId().equals(b.meterId()) && a.acquiredAt().equals(b.acquiredAt());
    }

    private static Phase linePhase(Phase p) {
        return p == Phase.NONE ? Phase.TOTAL : p;
    }

    /** One line for the readings of {@code phase} in [start, end), or none when the sample has no such reading. */
    private int line(List<EnrichedReading> batch, int start, int end, Phase phase, StringBuilder out) {
        EnrichedReading head = null;
        for (int i = start; i < end && head == null; i++) {
            if (linePhase(batch.get(i).phase()) == phase) {
                head = batch.get(i);
            }
        }
        if (head == null) {
            return 0;
        }
        out.append(measurement);
        // tags in key order, as InfluxDB prefers them; an empty value has no tag (line protocol forbids it)
        if (areaTag) {
            tag("area", head.area(), out);
        }
        tag("asset", head.asset(), out);
        if (meterTag) {
            tag("meter", head.meterId(), out);
        }
        tag("phase", phase == Phase.TOTAL ? "total" : phase.name(), out);
        tag("site", head.site(), out);
        out.append(' ');
        Quality worst = Quality.GOOD;
        long seq = Long.MAX_VALUE;
        for (int i = start; i < end; i++) {
            EnrichedReading r = batch.get(i);
            if (linePhase(r.phase()) != phase) {
                continue;
            }
            worst = worst.worse(r.quality());
            seq = Math.min(seq, r.sequence());
            field(r, out);
        }
        out.append("quality=").append(worst.code()).append("i,seq=").append(seq).append("i ");
        long time = precision == Precision.MS ? head.acquiredAt().toEpochMilli()
                : head.acquiredAt().getEpochSecond() * 1_000_000_000L + head.acquiredAt().getNano();
        out.append(time).append('\n');
        return 1;
    }

    /**
     * One field for a reading with a value worth keeping: GOOD or UNCERTAIN (a BAD reading has no trustworthy value,
     * a STALE one repeats a value the historian already holds at its own time), never NaN or infinite.
     */
    private void field(EnrichedReading r, StringBuilder out) {
        Value v = r.value();
        if (v == null || (r.quality() != Quality.GOOD && r.quality() != Quality.UNCERTAIN) || v.isNonFinite()) {
            return;
        }
        FieldNames.Field f = fieldNames.of(r.metric(), r.phase());
        String name = f.name();
        double factor = 1;
        if (f.unit() != null && !f.unit().equals(r.unit())) {
            Optional<Double> conversion = Units.factor(r.unit(), f.unit());
            if (conversion.isPresent()) {
                factor = conversion.get();
            } else {
                // e.g. a unit override to something that is not a multiple of the field's unit: keep the value
                // under the metric's own name rather than mislabel it
                name = r.metric().replace('.', '_');
                if (unconvertible.add(r.metric())) {
                    LOG.warn("Influx: metric {} of meter {} is in '{}', which does not convert to {}; written as"
                            + " field {} unconverted", r.metric(), r.meterId(), r.unit(), f.unit(), name);
                }
            }
        }
        if (v instanceof Value.Text t) {
            escape(name, out, true);
            out.append("=\"");
            for (int i = 0; i < t.value().length(); i++) {
                char c = t.value().charAt(i);
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else {
                    out.append(c == '\n' || c == '\r' ? ' ' : c);
                }
            }
            out.append("\",");
        } else if (v instanceof Value.Int i && factor == 1) {
            escape(name, out, true);
            out.append('=').append(i.value()).append("i,");
        } else {
            double d = v.asDouble() * factor;
            if (Double.isFinite(d)) {
                escape(name, out, true);
                out.append('=').append(d).append(',');
            }
        }
    }

    private static void tag(String key, String value, StringBuilder out) {
        if (value.isEmpty()) {
            return;
        }
        out.append(',').append(key).append('=');
        escape(value, out, true);
    }

    /**
     * Escapes a measurement ({@code equals=false}), tag key or value, or field key: commas, spaces, backslashes (and
     * equals signs but in measurements) take a backslash. Line protocol cannot carry a newline there; it becomes a
     * space.
     */
    private static void escape(String s, StringBuilder out, boolean equals) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
            if (c == ',' || c == ' ' || c == '\\' || (equals && c == '=')) {
                out.append('\\');
            }
            out.append(c);
        }
    }
}
