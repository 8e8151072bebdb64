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
    /** Device metrics and device rebirth controls take aliases from here up. */
    static final long FIRST_DEVICE_ALIAS = 100;

    private final SparkplugBPayloadEncoder encoder = new SparkplugBPayloadEncoder();

    byte[] ndeath(long bdSeq) {
        return encode(new SparkplugBPayload(new Date(), List.of(metric(BD_SEQ, null, MetricDataType.Int64, bdSeq))));
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
        health(metrics, h, null, uptimeSeconds, true);
        if (templates != null) {
            for (Templates.Definition d : templates.definitions()) {
                List<Metric> members = new ArrayList<>(d.members().size());
                d.members().values().forEach(m -> members.add(member(m, null, null, 0, false)));
                metrics.add(metric(d.name(), null, MetricDataType.Template, new Template.TemplateBuilder()
                        .definition(true).addMetrics(members).createTemplate()));
            }
        }
        return encode(new SparkplugBPayload(new Date(), metrics, 0L));
    }

    /** NDATA with the health metrics that changed since {@code before}, and always the uptime (a heartbeat). */
    byte[] ndata(long seq, NodeHealth h, NodeHealth before, long uptimeSeconds, Long scanRate) {
        List<Metric> metrics = new ArrayList<>();
        if (scanRate != null) {
            metrics.add(metric(null, ALIAS_SCAN_RATE, MetricDataType.Int64, scanRate));
        }
        health(metrics, h, before, uptimeSeconds, false);
        return encode(new SparkplugBPayload(new Date(), metrics, seq));
    }

    private static void health(List<Metric> out, NodeHealth h, NodeHealth before, long uptime, boolean birth) {
        if (before == null || h.meters() != before.meters()) {
            out.add(metric(birth ? "Gateway/Meters" : null, ALIAS_METERS, MetricDataType.Int32, h.meters()));
        }
        if (before == null || h.metersOnline() != before.metersOnline()) {
            out.add(metric(birth ? "Gateway/Meters Online" : null, ALIAS_METERS_ONLINE, MetricDataType.Int32,
                    h.metersOnline()));
        }
        if (before == null || h.queued() != before.queued()) {
            out.add(metric(birth ? "Gateway/Outbox/Queued" : null, ALIAS_QUEUED, MetricDataType.Int64, h.queued()));
        }
        if (before == null || h.dropped() != before.dropped()) {
            out.add(metric(birth ? "Gateway/Outbox/Dropped" : null, ALIAS_DROPPED, MetricDataType.Int64,
                    h.dropped()));
        }
        if (before == null || h.deadLettered() != before.deadLettered()) {
            out.add(metric(birth ? "Gateway/Outbox/Dead Lettered" : null, ALIAS_DEAD_LETTERED, MetricDataType.Int64,
                    h.deadLettered()));
        }
        Metric up = metric(birth ? "Gateway/Uptime" : null, ALIAS_UPTIME, MetricDataType.Int64, uptime);
        if (birth) {
            up.setProperties(new PropertySet.PropertySetBuilder().addProperty(ENG_UNIT, property(PropertyDataType.String,
                    "s")).createPropertySet());
        }
        out.add(up);
    }

    /**
     * DBIRTH: the rebirth control and every metric with name, alias, datatype, value or null, unit and quality. In
     * template mode the metrics of a template go in its instance, which lists every member of the definition.
     */
    byte[] dbirth(long seq, Device d, Templates templates, Device.Aliases aliases) {
        List<Metric> metrics = new ArrayList<>(d.slots().size() + 1);
        metrics.add(metric(DEVICE_REBIRTH, d.rebirthAlias, MetricDataType.Boolean, false));
        for (Device.Slot s : d.slots()) {
            if (templates == null || templates.of(s.metricId) == null) {
                Metric m = metric(s.name, s.alias, s.type, s.value);
                m.setTimestamp(new Date(s.timestamp));
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
                    members.add(s == null ? member(member, null, Quality.BAD, 0, true)
                            : member(member, s.value, s.quality, s.timestamp, true));
                });
                metrics.add(metric(t.instance(), d.instanceAlias(t.name(), aliases), MetricDataType.Template,
                        new Template.TemplateBuilder().templateRef(t.name()).definition(false).addMetrics(members)
                                .createTemplate()));
            }
        }
        return encode(new SparkplugBPayload(new Date(), metrics, seq));
    }

    /**
     * DDATA for one poll of one meter, aliases only. Live: the Quality property when the quality is not GOOD or
     * changed since the hosts last saw it. Historical: flagged {@code is_historical}, with the Quality property
     * when not GOOD, and the device's current values untouched. In template mode a template's metrics go in one
     * instance (alias only) holding just those members (§6.4.17 allows a subset in DATA).
     */
    byte[] ddata(long seq, Device d, List<EnrichedReading> group, List<Device.Slot> slots, boolean historical,
            Templates templates, Device.Aliases aliases) {
        List<Metric> metrics = new ArrayList<>(group.size());
        Map<Templates.Definition, List<Metric>> instances = new LinkedHashMap<>();
        for (int i = 0; i < group.size(); i++) {
            EnrichedReading r = group.get(i);
            Device.Slot s = slots.get(i);
            boolean withQuality = r.quality() != Quality.GOOD || (!historical && s.published != Quality.GOOD);
            Templates.Definition t = templates == null ? null : templates.of(s.metricId);
            Metric m;
            if (t == null) {
                m = metric(null, s.alias, s.type, Device.tahuValue(r.value(), s.type));
                m.setProperties(withQuality ? properties("", r.quality()) : null);
                metrics.add(m);
            } else {
                m = member(t.members().get(s.metricId), Device.tahuValue(r.value(), s.type),
                        withQuality ? r.quality() : null, r.acquiredAt().toEpochMilli(), false);
                instances.computeIfAbsent(t, k -> new ArrayList<>()).add(m);
            }
            m.setTimestamp(Date.from(r.acquiredAt()));
            if (historical) {
                m.setHistorical(true);
            } else {
                s.published = r.quality();
            }
        }
        instances.forEach((t, members) -> {
            Metric instance = metric(null, d.instanceAlias(t.name(), aliases), MetricDataType.Template,
                    new Template.TemplateBuilder().templateRef(t.name()).definition(false).addMetrics(members)
                            .createTemplate());
            instance.setHistorical(historical ? true : null);
            metrics.add(instance);
        });
        return encode(new SparkplugBPayload(new Date(), metrics, seq));
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
        return encode(new SparkplugBPayload(new Date(), List.of(), seq));
    }

    /** The datatypes hosts may address by alias only in commands: the node controls and the device rebirths. */
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

    private byte[] encode(SparkplugBPayload payload) {
        try {
            return encoder.getBytes(payload, false);
        } catch (IOException e) {
            throw new IllegalStateException("Tahu could not encode a payload: " + e.getMessage(), e);
        }
    }
}
