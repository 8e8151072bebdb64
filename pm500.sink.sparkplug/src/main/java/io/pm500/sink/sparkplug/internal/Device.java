package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.tahu.message.model.MetricDataType;

/**
 * One meter as a Sparkplug device: every metric it has reported with its alias, datatype, unit and current value,
 * so a DBIRTH can list them all. Metrics are learnt from the readings; a new metric or a changed datatype makes
 * the next message a DBIRTH. Guarded by the edge node's lock.
 */
final class Device {

    /** One metric: identity fixed at first sight, value and quality current. */
    static final class Slot {
        final String metricId;
        final String name;
        final long alias;
        MetricDataType type;
        String unit;
        Object value;
        Quality quality = Quality.BAD;
        long timestamp;
        /** The quality hosts last saw, so DDATA carries the Quality property only when it changes or is not GOOD. */
        Quality published = Quality.GOOD;

        Slot(String metricId, long alias, MetricDataType type, String unit) {
            this.metricId = metricId;
            this.name = MetricNames.of(metricId);
            this.alias = alias;
            this.type = type;
            this.unit = unit;
        }

        /** A reading becomes the current value unless the slot holds a newer one (a replayed backlog). */
        void update(EnrichedReading r) {
            long at = r.acquiredAt().toEpochMilli();
            if (at >= timestamp) {
                value = tahuValue(r.value(), type);
                quality = r.quality();
                timestamp = at;
            }
        }
    }

    final String id;
    final long rebirthAlias;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Map<String, Long> instanceAliases = new LinkedHashMap<>();
    /** DBIRTH published in the current MQTT session. */
    boolean born;
    /** DDEATH published, or no fresh value seen yet: nothing is published until one comes. */
    boolean dead = true;
    /** A metric was added or changed datatype since the last DBIRTH. */
    boolean changed;

    Device(String id, long rebirthAlias) {
        this.id = id;
        this.rebirthAlias = rebirthAlias;
    }

    Collection<Slot> slots() {
        return slots.values();
    }

    /** The slot of a metric id, or null when the device has not got it. */
    Slot slot(String metricId) {
        return slots.get(metricId);
    }

    /** The alias of this device's instance of a template (template mode), handed out at first use. */
    long instanceAlias(String template, Aliases aliases) {
        return instanceAliases.computeIfAbsent(template, t -> aliases.next());
    }

    /**
     * Declares the metrics the meter will publish (the pipeline's catalogue), so the first DBIRTH lists them all:
     * not read yet, they are born {@code is_null} with quality BAD.
     */
    void declare(List<MetricInfo> metrics, Aliases aliases) {
        for (MetricInfo m : metrics) {
            slots.computeIfAbsent(m.metric(), k -> new Slot(k, aliases.next(), Templates.type(m.kind()), m.unit()));
        }
        changed = true;
    }

    /**
     * The slot of a reading's metric, created (with the next alias) at first sight. A datatype, once born, changes
     * only when a value cannot be carried: an integer rides in a Double metric (exact to 2^53, so a meter read both
     * as REAL and as an integer counter does not flip), a fraction widens an Int64 metric to Double, text and
     * numbers swap. A metric first seen without a value (a failed read) is born Double, the common case.
     */
    Slot slot(EnrichedReading r, Aliases aliases) {
        Slot s = slots.get(r.metric());
        MetricDataType type = r.value() == null ? null : type(r.value());
        if (s == null) {
            s = new Slot(r.metric(), aliases.next(), type == null ? MetricDataType.Double : type, r.unit());
            slots.put(r.metric(), s);
            changed = true;
            return s;
        }
        boolean fits = type == null || type == s.type || (type == MetricDataType.Int64 && s.type == MetricDataType.Double);
        if (!fits || !s.unit.equals(r.unit())) {
            s.type = fits ? s.type : type;
            s.unit = r.unit();
            changed = true;
        }
        return s;
    }

    /** True while any metric holds a fresh (GOOD or UNCERTAIN) value. */
    boolean anyFresh() {
        for (Slot s : slots.values()) {
            if (s.quality == Quality.GOOD || s.quality == Quality.UNCERTAIN) {
                return true;
            }
        }
        return false;
    }

    static MetricDataType type(Value v) {
        if (v instanceof Value.Int) {
            return MetricDataType.Int64;
        }
        return v instanceof Value.Text ? MetricDataType.String : MetricDataType.Double;
    }

    /** The value as Tahu wants it for a slot of that datatype (see {@link #slot}); null is {@code is_null}. */
    static Object tahuValue(Value v, MetricDataType type) {
        if (v == null) {
            return null;
        }
        if (v instanceof Value.Text t) {
            return t.value();
        }
        return type == MetricDataType.Int64 ? (Object) ((Value.Int) v).value() : (Object) v.asDouble();
    }

    /** Hands out aliases unique across the edge node (§6.4.6). */
    static final class Aliases {
        private long next;

        Aliases(long first) {
            next = first;
        }

        long next() {
            return next++;
        }
    }
}
