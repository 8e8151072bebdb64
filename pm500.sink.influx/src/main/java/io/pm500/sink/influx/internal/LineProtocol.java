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

    /** 10^k for k = 0..18, and their reciprocals as the unit conversions compute them. */
    private static final long[] POW10 = new long[19];
    private static final double[] NEG_POW10 = new double[19];

    static {
        POW10[0] = 1;
        for (int k = 1; k < POW10.length; k++) {
            POW10[k] = POW10[k - 1] * 10;
            NEG_POW10[k] = 1.0 / POW10[k];
        }
    }

    /** The measurement escaped for servers that unescape backslashes, and for InfluxDB 1.x. */
    private final String measurement;
    private final String measurementV1;
    /** Names and values already warned about: InfluxDB 1.x cannot store their backslash as it is. */
    private final Set<String> unstorable = ConcurrentHashMap.newKeySet();
    private final boolean areaTag;
    private final boolean meterTag;
    private final Precision precision;
    private final FieldNames fieldNames = new FieldNames();
    private final Set<String> unconvertible = ConcurrentHashMap.newKeySet();

    LineProtocol(String measurement, boolean areaTag, boolean meterTag, Precision precision) {
        StringBuilder m = new StringBuilder();
        escape(measurement, m, false, true);
        this.measurement = m.toString();
        m.setLength(0);
        escape(measurement, m, false, false);
        this.measurementV1 = m.toString();
        this.areaTag = areaTag;
        this.meterTag = meterTag;
        this.precision = precision;
    }

    Precision precision() {
        return precision;
    }

    /**
     * Appends the lines of a batch to {@code out}, each ending in a newline; returns how many lines.
     *
     * @param unescapes whether the server reads {@code \\} in names and tag values as one backslash (see
     *                  {@link Transport#unescapesBackslashes()})
     */
    int encode(List<EnrichedReading> batch, StringBuilder out, boolean unescapes) {
        int lines = 0;
        int n = batch.size();
        for (int start = 0; start < n;) {
            EnrichedReading first = batch.get(start);
            int end = start + 1;
            while (end < n && sameSample(first, batch.get(end))) {
                end++;
            }
            for (Phase phase : LINE_PHASES) {
                lines += line(batch, start, end, phase, out, unescapes);
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
    private int line(List<EnrichedReading> batch, int start, int end, Phase phase, StringBuilder out,
            boolean unescapes) {
        EnrichedReading head = null;
        for (int i = start; i < end && head == null; i++) {
            if (linePhase(batch.get(i).phase()) == phase) {
                head = batch.get(i);
            }
        }
        if (head == null) {
            return 0;
        }
        out.append(unescapes ? measurement : measurementV1);
        // tags in key order, as InfluxDB prefers them; an empty value has no tag (line protocol forbids it)
        if (areaTag) {
            tag("area", head.area(), out, unescapes);
        }
        tag("asset", head.asset(), out, unescapes);
        if (meterTag) {
            tag("meter", head.meterId(), out, unescapes);
        }
        tag("phase", phase == Phase.TOTAL ? "total" : phase.name(), out, unescapes);
        tag("site", head.site(), out, unescapes);
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
            field(r, out, unescapes);
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
    private void field(EnrichedReading r, StringBuilder out, boolean unescapes) {
        if (!written(r)) {
            return;
        }
        Value v = r.value();
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
        int shift;
        if (v instanceof Value.Text t) {
            escape(name, out, true, unescapes);
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
            // a float like every numeric field: InfluxDB fixes a field's type for the whole measurement, and one
            // metric comes as an integer over Modbus and as a REAL over EtherNet/IP
            escape(name, out, true, unescapes);
            out.append('=').append(i.value()).append(".0,");
        } else if (v instanceof Value.Int i && (shift = decimalShift(factor)) > 0) {
            // a counter to a larger unit (Wh → kWh): the exact decimal, which the server reads as the nearest double
            escape(name, out, true, unescapes);
            out.append('=');
            shifted(i.value(), shift, out);
            out.append(',');
        } else {
            double d = v.asDouble() * factor;
            if (Double.isFinite(d)) {
                escape(name, out, true, unescapes);
                out.append('=').append(d).append(',');
            }
        }
    }

    /** Whether a reading becomes a field: a value worth keeping (GOOD or UNCERTAIN, finite). */
    static boolean written(EnrichedReading r) {
        Value v = r.value();
        return v != null && (r.quality() == Quality.GOOD || r.quality() == Quality.UNCERTAIN) && !v.isNonFinite();
    }

    /** The field a written reading goes to, and its line-protocol type ({@code string} or {@code float}). */
    String fieldName(EnrichedReading r) {
        FieldNames.Field f = fieldNames.of(r.metric(), r.phase());
        return f.unit() == null || f.unit().equals(r.unit()) || Units.factor(r.unit(), f.unit()).isPresent()
                ? f.name() : r.metric().replace('.', '_');
    }

    static String fieldType(EnrichedReading r) {
        return r.value() instanceof Value.Text ? "string" : "float";
    }

    /** Which line a reading is on: its meter, its line's phase and its acquisition time. */
    static Object lineOf(EnrichedReading r) {
        return List.of(r.meterId(), linePhase(r.phase()), r.acquiredAt());
    }

    /** k when the factor is 10^-k (1 ≤ k ≤ 18), else 0. */
    private static int decimalShift(double factor) {
        for (int k = 1; k < NEG_POW10.length; k++) {
            if (factor == NEG_POW10[k]) {
                return k;
            }
        }
        return 0;
    }

    /** {@code value} × 10^-k in plain decimal, all k fraction digits: 123456789012, 3 → 123456789.012. */
    static void shifted(long value, int k, StringBuilder out) {
        long p = POW10[k];
        long whole = value / p;
        long fraction = value % p;
        if (value < 0) {
            out.append('-');
            whole = -whole;
            fraction = -fraction;
        }
        out.append(whole).append('.');
        for (long digit = p / 10; digit > 0; digit /= 10) {
            out.append((char) ('0' + fraction / digit % 10));
        }
    }

    private void tag(String key, String value, StringBuilder out, boolean unescapes) {
        if (value.isEmpty()) {
            return;
        }
        out.append(',').append(key).append('=');
        escape(value, out, true, unescapes);
    }

    /**
     * Escapes a measurement ({@code equals=false}), tag key or value, or field key: commas, spaces (and equals signs
     * but in measurements) take a backslash. A backslash is doubled for servers that unescape it; InfluxDB 1.x takes
     * a backslash literally unless one of those characters follows, so there it is written as it is — and where one
     * follows, or at the end (before a separator), 1.x has no spelling for it: it becomes {@code /}, with one WARN.
     * Line protocol cannot carry a newline there; it becomes a space.
     */
    private void escape(String s, StringBuilder out, boolean equals, boolean unescapes) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (unescapes) {
                    out.append("\\\\");
                } else if (i + 1 == s.length() || special(s.charAt(i + 1), equals)) {
                    out.append('/');
                    if (unstorable.add(s)) {
                        LOG.warn("Influx: '{}' has a backslash before ',', ' ', '=' or at its end, which InfluxDB 1.x"
                                + " cannot store; written with '/' in its place", s);
                    }
                } else {
                    out.append('\\');
                }
                continue;
            }
            if (special(c, equals)) {
                out.append('\\');
            }
            out.append(c == '\n' || c == '\r' ? ' ' : c);
        }
    }

    private static boolean special(char c, boolean equals) {
        return c == ',' || c == ' ' || c == '\n' || c == '\r' || (equals && c == '=');
    }
}
