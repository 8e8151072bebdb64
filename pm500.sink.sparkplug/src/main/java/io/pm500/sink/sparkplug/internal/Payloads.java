package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import java.io.IOException;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.tahu.SparkplugInvalidTypeException;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.PropertyDataType;
import org.eclipse.tahu.message.model.PropertySet;
import org.eclipse.tahu.message.model.PropertyValue;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.eclipse.tahu.message.model.Template;
import org.eclipse.tahu.protobuf.SparkplugBProto;

/**
 * The Sparkplug B payloads of this edge node, built with Eclipse Tahu. The node metrics and their aliases are
 * the contract in {@code docs/sparkplug-b.md}.
 */
final class Payloads {
    static final String BD_SEQ = "bdSeq";
    static final String REBIRTH = "Node Control/Rebirth";
    static final String NEXT_SERVER = "Node Control/Next Server";
    static final String SCAN_RATE = "Node Control/Scan Rate";
    static final String DEVICE_REBIRTH = "Device Control/Rebirth";
    static final String QUALITY = "Quality";
    static final String ENG_UNIT = "engUnit";

    static final long ALIAS_NEXT_SERVER = 2;
    static final long ALIAS_SCAN_RATE = 3;
    static final long ALIAS_METERS = 4;
    static final long ALIAS_METERS_ONLINE = 5;
    static final long ALIAS_QUEUED = 6;
    static final long ALIAS_DROPPED = 7;
    static final long ALIAS_DEAD_LETTERED = 8;
    static final long ALIAS_UPTIME = 9;
    static final long ALIAS_RELEASE = 10;
    static final long ALIAS_FAILED_RELEASE = 11;
    /** Device metrics and device rebirth controls take aliases from here up. */
    static final long FIRST_DEVICE_ALIAS = 100;

    private final SparkplugBPayloadEncoder encoder = new SparkplugBPayloadEncoder();

    byte[] ndeath(long bdSeq) {
        return encode(new Outgoing(new Date(), List.of(metric(BD_SEQ, null, MetricDataType.Int64, bdSeq))));
    }

    /** NBIRTH; in template mode it carries the template definitions (§6.4.17: only there). */
    byte[] nbirth(long bdSeq, long scanRate, NodeHealth h, long uptimeSeconds, Templates templates) {
        List<Metric> metrics = new ArrayList<>();
        metrics.add(metric(BD_SEQ, null, MetricDataType.Int64, bdSeq));
        // no alias: a host must be able to ask for a rebirth by name before it has seen one (TCK
        // operational-behavior-data-commands-rebirth-name-aliases)
        metrics.add(metric(REBIRTH, null, MetricDataType.Boolean, false));
        metrics.add(metric(NEXT_SERVER, ALIAS_NEXT_SERVER, MetricDataType.Boolean, false));
        metrics.add(metric(SCAN_RATE, ALIAS_SCAN_RATE, MetricDataType.Int64, scanRate));
        health(metrics, h, uptimeSeconds);
        if (templates != null) {
            for (Templates.Definition d : templates.definitions()) {
                List<Metric> members = new ArrayList<>(d.members().size());
                d.members().values().forEach(m -> members.add(member(m, null, null, 0, false)));
                metrics.add(metric(d.name(), null, MetricDataType.Template, new Template.TemplateBuilder()
                        .definition(true).addMetrics(members).createTemplate()));
            }
        }
        return encode(new Outgoing(new Date(), metrics, 0L));
    }

    /**
     * NDATA with the health metrics that changed since {@code before}, and always the uptime (a heartbeat). DATA
     * metrics carry alias and value but no datatype: the birth gave it (§6.4.16: SHOULD NOT be sent again).
     */
    byte[] ndata(long seq, NodeHealth h, NodeHealth before, long uptimeSeconds, Long scanRate) {
        SparkplugBProto.Payload.Builder p = SparkplugBProto.Payload.newBuilder()
                .setTimestamp(System.currentTimeMillis()).setSeq(seq);
        if (scanRate != null) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_SCAN_RATE).setLongValue(scanRate));
        }
        if (h.meters() != before.meters()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_METERS).setIntValue(h.meters()));
        }
        if (h.metersOnline() != before.metersOnline()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_METERS_ONLINE)
                    .setIntValue(h.metersOnline()));
        }
        if (h.queued() != before.queued()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_QUEUED).setLongValue(h.queued()));
        }
        if (h.dropped() != before.dropped()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_DROPPED)
                    .setLongValue(h.dropped()));
        }
        if (h.deadLettered() != before.deadLettered()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_DEAD_LETTERED)
                    .setLongValue(h.deadLettered()));
        }
        if (h.release() != before.release()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_RELEASE).setLongValue(h.release()));
        }
        if (h.failedRelease() != before.failedRelease()) {
            p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_FAILED_RELEASE)
                    .setLongValue(h.failedRelease()));
        }
        p.addMetrics(SparkplugBProto.Payload.Metric.newBuilder().setAlias(ALIAS_UPTIME).setLongValue(uptimeSeconds));
        return p.build().toByteArray();
    }

    private static void health(List<Metric> out, NodeHealth h, long uptime) {
        out.add(metric("Gateway/Meters", ALIAS_METERS, MetricDataType.Int32, h.meters()));
        out.add(metric("Gateway/Meters Online", ALIAS_METERS_ONLINE, MetricDataType.Int32, h.metersOnline()));
        out.add(metric("Gateway/Outbox/Queued", ALIAS_QUEUED, MetricDataType.Int64, h.queued()));
        out.add(metric("Gateway/Outbox/Dropped", ALIAS_DROPPED, MetricDataType.Int64, h.dropped()));
        out.add(metric("Gateway/Outbox/Dead Lettered", ALIAS_DEAD_LETTERED, MetricDataType.Int64, h.deadLettered()));
        out.add(metric("Gateway/Fleet/Release", ALIAS_RELEASE, MetricDataType.Int64, h.release()));
        out.add(metric("Gateway/Fleet/Failed Release", ALIAS_FAILED_RELEASE, MetricDataType.Int64,
                h.failedRelease()));
        Metric up = metric("Gateway/Uptime", ALIAS_UPTIME, MetricDataType.Int64, uptime);
        up.setProperties(new PropertySet.PropertySetBuilder().addProperty(ENG_UNIT, property(PropertyDataType.String,
                "s")).createPropertySet());
        out.add(up);
    }

    /**
     * DBIRTH: the rebirth control and every metric with name, alias, datatype, value or null, unit and quality. A
     * metric never read is {@code is_null}, stamped with the birth time. In template mode the metrics of a template
     * go in its instance, which lists every member of the definition.
     */
    byte[] dbirth(long seq, Device d, Templates templates, Device.Aliases aliases) {
        long now = System.currentTimeMillis();
        List<Metric> metrics = new ArrayList<>(d.slots().size() + 1);
        Metric rebirth = metric(DEVICE_REBIRTH, d.rebirthAlias, MetricDataType.Boolean, false);
        rebirth.setTimestamp(new Date(now));
        rebirth.setProperties(properties("", Quality.GOOD));
        metrics.add(rebirth);
        for (Device.Slot s : d.slots()) {
            long at = s.timestamp > 0 ? s.timestamp : now;
            if (templates == null || templates.of(s.metricId) == null) {
                Metric m = metric(s.name, s.alias, s.type, s.value);
                m.setTimestamp(new Date(at));
                m.setProperties(properties(s.unit, s.quality));
                metrics.add(m);
            }
            s.published = s.quality;
        }
        if (templates != null) {
            for (Templates.Definition t : templates.definitions()) {
                List<Metric> members = new ArrayList<>(t.members().size());
                t.members().forEach((id, member) -> {
                    Device.Slot s = d.slot(id);
                    members.add(s == null ? member(member, null, Quality.BAD, now, true)
                            : member(member, s.value, s.quality, s.timestamp > 0 ? s.timestamp : now, true));
                });
                metrics.add(metric(t.instance(), d.instanceAlias(t.name(), aliases), MetricDataType.Template,
                        new Template.TemplateBuilder().templateRef(t.name()).definition(false).addMetrics(members)
                                .createTemplate()));
            }
        }
        return encode(new Outgoing(new Date(now), metrics, seq));
    }

    /**
     * DDATA for one poll of one meter, by alias without datatype (§6.4.16). Live: the Quality property when the
     * quality is not GOOD or changed since the hosts last saw it. Historical: flagged {@code is_historical}, with the
     * Quality property when not GOOD, and the device's current values untouched. In template mode a template's
     * metrics go in one instance (alias only) holding just those members (§6.4.17 allows a subset in DATA); members
     * keep their datatype, as they are addressed by name inside the instance.
     */
    byte[] ddata(long seq, Device d, List<EnrichedReading> group, List<Device.Slot> slots, boolean historical,
            Templates templates, Device.Aliases aliases) {
        SparkplugBProto.Payload.Builder p = SparkplugBProto.Payload.newBuilder()
                .setTimestamp(System.currentTimeMillis()).setSeq(seq);
        Map<Templates.Definition, SparkplugBProto.Payload.Template.Builder> instances = null;
        for (int i = 0; i < group.size(); i++) {
            EnrichedReading r = group.get(i);
            Device.Slot s = slots.get(i);
            boolean withQuality = r.quality() != Quality.GOOD || (!historical && s.published != Quality.GOOD);
            Templates.Definition t = templates == null ? null : templates.of(s.metricId);
            Templates.Member member = t == null ? null : t.members().get(s.metricId);
            Object v = Device.tahuValue(r.value(), s.type);
            SparkplugBProto.Payload.Metric.Builder m = SparkplugBProto.Payload.Metric.newBuilder()
                    .setTimestamp(r.acquiredAt().toEpochMilli());
            if (member == null) {
                value(m.setAlias(s.alias), s.type, v);
            } else {
                value(m.setName(member.name()).setDatatype(member.type().toIntValue()), member.type(),
                        fits(v, member.type()) ? v : null);
            }
            if (withQuality) {
                m.setProperties(quality(r.quality()));
            }
            if (historical) {
                m.setIsHistorical(true);
            } else {
                s.published = r.quality();
            }
            if (member == null) {
                p.addMetrics(m);
            } else {
                if (instances == null) {
                    instances = new LinkedHashMap<>();
                }
                instances.computeIfAbsent(t, k -> SparkplugBProto.Payload.Template.newBuilder()
                        .setTemplateRef(k.name()).setIsDefinition(false)).addMetrics(m);
            }
        }
        if (instances != null) {
            instances.forEach((t, instance) -> {
                SparkplugBProto.Payload.Metric.Builder m = SparkplugBProto.Payload.Metric.newBuilder()
                        .setAlias(d.instanceAlias(t.name(), aliases)).setTemplateValue(instance);
                if (historical) {
                    m.setIsHistorical(true);
                }
                p.addMetrics(m);
            });
        }
        return p.build().toByteArray();
    }

    /** Sets a DATA metric's value (or {@code is_null}) in the field its birth datatype uses. */
    private static SparkplugBProto.Payload.Metric.Builder value(SparkplugBProto.Payload.Metric.Builder m,
            MetricDataType type, Object value) {
        if (value == null) {
            return m.setIsNull(true);
        }
        if (type == MetricDataType.Int64) {
            return m.setLongValue((Long) value);
        }
        if (type == MetricDataType.String) {
            return m.setStringValue((String) value);
        }
        return m.setDoubleValue(((Number) value).doubleValue());
    }

    private static SparkplugBProto.Payload.PropertySet quality(Quality q) {
        return SparkplugBProto.Payload.PropertySet.newBuilder().addKeys(QUALITY)
                .addValues(SparkplugBProto.Payload.PropertyValue.newBuilder()
                        .setType(PropertyDataType.Int32.toIntValue()).setIntValue(q.code()))
                .build();
    }

    /**
     * A template member: by name (members have no aliases). A value its datatype cannot carry (the definition is
     * fixed for the session) is sent null.
     */
    private static Metric member(Templates.Member member, Object value, Quality quality, long timestamp,
            boolean unit) {
        Object carried = fits(value, member.type()) ? value : null;
        Metric m = metric(member.name(), null, member.type(), carried);
        if (timestamp > 0) {
            m.setTimestamp(new Date(timestamp));
        }
        if (quality != null) {
            m.setProperties(properties(unit ? member.unit() : "", quality));
        }
        return m;
    }

    private static boolean fits(Object value, MetricDataType type) {
        return value == null || (type == MetricDataType.Int64 && value instanceof Long)
                || (type == MetricDataType.Double && value instanceof Number)
                || (type == MetricDataType.String && value instanceof String);
    }

    private static PropertySet properties(String unit, Quality quality) {
        PropertySet.PropertySetBuilder props = new PropertySet.PropertySetBuilder();
        if (!unit.isEmpty()) {
            props.addProperty(ENG_UNIT, property(PropertyDataType.String, unit));
        }
        props.addProperty(QUALITY, property(PropertyDataType.Int32, quality.code()));
        return props.createPropertySet();
    }

    byte[] ddeath(long seq) {
        return encode(new Outgoing(new Date(), List.of(), seq));
    }

    /** One metric of an NCMD or DCMD: its name or alias and its value, whatever datatype the host gave. */
    record Command(String name, Long alias, Object value) {
    }

    /**
     * The metrics of a command. Read from the protobuf directly: a command's datatype is optional (Sparkplug 3.0
     * §6.4.16; Tahu's host sends Node Control/Rebirth by name without one), and a decoder that needs it drops such
     * a metric. Integer values come as {@code Long}, floating-point ones as {@code Double}.
     */
    static List<Command> commands(byte[] payload) throws InvalidProtocolBufferException {
        SparkplugBProto.Payload p = SparkplugBProto.Payload.parseFrom(payload);
        List<Command> commands = new ArrayList<>(p.getMetricsCount());
        for (SparkplugBProto.Payload.Metric m : p.getMetricsList()) {
            Object value = switch (m.getValueCase()) {
                case BOOLEAN_VALUE -> m.getBooleanValue();
                case INT_VALUE -> Integer.toUnsignedLong(m.getIntValue());
                case LONG_VALUE -> m.getLongValue();
                case FLOAT_VALUE -> (double) m.getFloatValue();
                case DOUBLE_VALUE -> m.getDoubleValue();
                case STRING_VALUE -> m.getStringValue();
                default -> null;
            };
            commands.add(new Command(m.hasName() ? m.getName() : null, m.hasAlias() ? m.getAlias() : null, value));
        }
        return commands;
    }

    private static Metric metric(String name, Long alias, MetricDataType type, Object value) {
        try {
            return new Metric.MetricBuilder(name, type, value).alias(alias).createMetric();
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalStateException("metric " + name + "/" + alias + ": " + e.getMessage(), e);
        }
    }

    private static PropertyValue<PropertyDataType> property(PropertyDataType type, Object value) {
        try {
            return new PropertyValue<>(type, value);
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalStateException("property " + type + ": " + e.getMessage(), e);
        }
    }

    /**
     * A payload whose {@code toString} costs nothing: Tahu's encoder formats the whole payload with it for a DEBUG
     * message, even when DEBUG is off — most of the sink's encode time and allocation (issue 23's profile).
     */
    private static final class Outgoing extends SparkplugBPayload {
        Outgoing(Date timestamp, List<Metric> metrics) {
            super(timestamp, metrics);
        }

        Outgoing(Date timestamp, List<Metric> metrics, Long seq) {
            super(timestamp, metrics, seq);
        }

        @Override
        public String toString() {
            return "Sparkplug payload, seq " + getSeq() + ", " + getMetrics().size() + " metrics";
        }
    }

    private byte[] encode(SparkplugBPayload payload) {
        try {
            return encoder.getBytes(payload, false);
        } catch (IOException e) {
            throw new IllegalStateException("Tahu could not encode a payload: " + e.getMessage(), e);
        }
    }
}
