package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.MetricInfo;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.tahu.message.model.MetricDataType;

/**
 * Template mode: a meter's metrics grouped into Sparkplug templates (UDTs) by the first part of their id. The
 * definitions hold every metric any known meter publishes (the pipeline's catalogue), since a definition must list
 * all members its instances will ever carry (§6.4.17) and goes in the NBIRTH, before any device.
 */
final class Templates {

    /**
     * One template.
     *
     * @param name     the definition's metric name, which instances reference
     * @param instance the instance metric's name in each device
     * @param members  metric id → member, in catalogue order
     */
    record Definition(String name, String instance, Map<String, Member> members) {
    }

    /** A member: its name inside the template, datatype and unit. */
    record Member(String name, MetricDataType type, String unit) {
    }

    /** Template name, instance name, and the metric id first parts it takes; the last takes the rest. */
    private static final String[][] GROUPS = {
        { "tpl_device_process", "Process", "voltage", "current", "power", "pf", "frequency", "phase" },
        { "tpl_device_energy", "Energy", "energy", "run" },
        { "tpl_device_demand", "Demand", "demand" },
        { "tpl_device_maximum", "Maximum", "max" },
        { "tpl_device_status", "Status" } };

    private final Map<String, Definition> byName = new LinkedHashMap<>();
    private final Map<String, Definition> byMetric = new LinkedHashMap<>();

    /** Definitions covering every metric of these catalogues; groups no meter fills are left out. */
    Templates(Collection<List<MetricInfo>> catalogues) {
        for (List<MetricInfo> catalogue : catalogues) {
            for (MetricInfo m : catalogue) {
                String[] group = group(m.metric());
                Definition d = byName.computeIfAbsent(group[0], n -> new Definition(n, group[1],
                        new LinkedHashMap<>()));
                d.members().putIfAbsent(m.metric(), new Member(MetricNames.of(m.metric()), type(m.kind()), m.unit()));
                byMetric.putIfAbsent(m.metric(), d);
            }
        }
    }

    Collection<Definition> definitions() {
        return byName.values();
    }

    /** The template a metric is a member of, or null: a metric no catalogue listed is published as a plain metric. */
    Definition of(String metricId) {
        return byMetric.get(metricId);
    }

    /** True when the definitions already hold every metric of this catalogue. */
    boolean covers(List<MetricInfo> catalogue) {
        return catalogue.stream().allMatch(m -> byMetric.containsKey(m.metric()));
    }

    static MetricDataType type(MetricInfo.Kind kind) {
        return switch (kind) {
            case INT -> MetricDataType.Int64;
            case TEXT -> MetricDataType.String;
            case REAL -> MetricDataType.Double;
        };
    }

    private static String[] group(String metricId) {
        String first = metricId.substring(0, metricId.indexOf('.') < 0 ? metricId.length() : metricId.indexOf('.'));
        for (String[] g : GROUPS) {
            for (int i = 2; i < g.length; i++) {
                if (g[i].equals(first)) {
                    return g;
                }
            }
        }
        return GROUPS[GROUPS.length - 1];
    }
}
