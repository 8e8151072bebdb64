package io.pm500.status.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.status.BlockPolls;
import io.pm500.api.status.FleetStatus;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkStatus;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The status document ({@code status.json}, schema in {@code docs/operations.md}): built from snapshots the drivers
 * and the pipeline keep in memory ({@link Snapshots}: their status sources, the newest readings), so
 * building it never waits on a meter or a sink.
 */
final class StatusJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {
    }

    /**
     * @param withValues which meters' values to include (the page asks for the meters whose values are open): every
     *                   value of 200 meters each second would be most of the document and of its cost
     */
    static ObjectNode build(BundleContext context, Snapshots snapshots, ServiceComponentRuntime scr,
            Predicate<String> withValues, Instant now) {
        ObjectNode root = JSON.createObjectNode();
        root.put("time", now.toString());
        root.set("gateway", gateway(context, snapshots, scr));
        ArrayNode meters = root.putArray("meters");
        ArrayNode sinks = root.putArray("sinks");
        for (MeterStatus m : snapshots.meters()) {
            meters.add(meter(m, snapshots.newest(m.meterId()), withValues.test(m.meterId()), now));
        }
        snapshots.sinks().forEach(s -> sinks.add(sink(s, now)));
        snapshots.fleet().ifPresent(f -> root.set("fleet", fleet(f)));
        return root;
    }

    private static ObjectNode fleet(FleetStatus f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("currentRelease", f.currentRelease());
        n.put("currentName", f.currentName());
        n.put("lastGoodRelease", f.lastGoodRelease());
        n.put("stagedRelease", f.stagedRelease());
        n.put("phase", f.phase());
        n.put("failedRelease", f.failedRelease());
        n.put("failedAt", f.failedAt() == null ? null : f.failedAt().toString());
        n.put("failure", f.failure());
        n.put("lastPoll", f.lastPoll() == null ? null : f.lastPoll().toString());
        n.put("lastPollProblem", f.lastPollProblem());
        return n;
    }

    private static ObjectNode gateway(BundleContext context, Snapshots snapshots, ServiceComponentRuntime scr) {
        ObjectNode g = JSON.createObjectNode();
        g.put("version", context.getBundle().getVersion().toString());
        g.put("uptimeSeconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        Runtime rt = Runtime.getRuntime();
        g.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
        g.put("heapMaxBytes", rt.maxMemory());
        g.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        DataDisk disk = DataDisk.of(context);
        g.put("dataDirectory", disk.directory().toString());
        g.put("dataDiskFreeBytes", disk.freeBytes());
        ArrayNode bundles = g.putArray("bundlesNotActive");
        for (Bundle b : context.getBundles()) {
            if (b.getState() != Bundle.ACTIVE && b.getHeaders().get("Fragment-Host") == null) {
                bundles.addObject().put("name", b.getSymbolicName()).put("state", bundleState(b.getState()));
            }
        }
        ArrayNode components = g.putArray("componentsNotActive");
        for (Components.Inactive c : Components.notActive(scr, snapshots)) {
            components.addObject().put("name", c.name()).put("configuration", c.configuration())
                    .put("reason", c.reason());
        }
        return g;
    }

    private static ObjectNode meter(MeterStatus m, List<EnrichedReading> newest, boolean withValues, Instant now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("meterId", m.meterId());
        n.put("asset", Snapshots.asset(m.meterId(), newest));
        n.put("driver", m.driver());
        n.put("endpoint", m.endpoint());
        n.put("state", m.state().name());
        n.put("stateSince", m.stateSince().toString());
        n.put("polls", m.polls());
        n.put("failures", m.failures());
        n.put("successRate", m.polls() == 0 ? null : (m.polls() - m.failures()) / (double) m.polls());
        n.put("consecutiveFailures", m.consecutiveFailures());
        n.put("reconnects", m.reconnects());
        n.put("lastError", m.lastError());
        n.put("lastLatencyMillis", m.lastLatency() == null ? null : m.lastLatency().toMillis());
        n.put("lastSuccess", m.lastSuccess() == null ? null : m.lastSuccess().toString());
        n.put("sinceLastSuccessSeconds", m.lastSuccess() == null ? null
                : Duration.between(m.lastSuccess(), now).toSeconds());
        ObjectNode intervals = n.putObject("blocks");
        for (Map.Entry<String, Duration> e : m.intervals().entrySet()) {
            intervals.put(e.getKey(), e.getValue().toMillis());
        }
        ArrayNode blockPolls = n.putArray("blockPolls");
        for (BlockPolls b : m.blockPolls()) {
            ObjectNode results = blockPolls.addObject().put("block", b.blockId()).putObject("results");
            b.results().forEach((result, count) -> results.put(result.name(), count));
        }
        int[] byQuality = new int[Quality.values().length];
        for (EnrichedReading r : newest) {
            byQuality[r.quality().ordinal()]++;
        }
        ObjectNode qualities = n.putObject("qualities");
        for (Quality q : Quality.values()) {
            if (byQuality[q.ordinal()] > 0) {
                qualities.put(q.name(), byQuality[q.ordinal()]);
            }
        }
        if (!withValues) {
            return n;
        }
        ArrayNode values = n.putArray("values");
        for (EnrichedReading r : newest) {
            ObjectNode v = values.addObject();
            v.put("metric", r.metric());
            Value value = r.value();
            if (value instanceof Value.Int i) {
                v.put("value", i.value());
            } else if (value instanceof Value.Real d) {
                v.put("value", d.value());
            } else if (value instanceof Value.Text t) {
                v.put("value", t.value());
            } else {
                v.putNull("value");
            }
            v.put("unit", r.unit());
            v.put("quality", r.quality().name());
            v.put("acquiredAt", r.acquiredAt().toString());
        }
        return n;
    }

    private static ObjectNode sink(SinkStatus s, Instant now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("sink", s.sinkName());
        n.put("state", s.state().name());
        n.put("delivered", s.delivered());
        n.put("deliveredPerSecond", s.deliveredPerSecond());
        n.put("failedTries", s.failedTries());
        n.put("queued", s.queued());
        n.put("queuedBytes", s.queuedBytes());
        n.put("queuedBytesLimit", s.queuedBytesLimit());
        n.put("oldestQueuedSeconds", s.oldestAge().toSeconds());
        n.put("dropped", s.dropped());
        n.put("deadLettered", s.deadLettered());
        n.put("deadLetterFile", s.deadLetterFile());
        n.put("lastError", s.lastError());
        n.put("lastDelivery", s.lastDelivery() == null ? null : s.lastDelivery().toString());
        n.put("sinceLastDeliverySeconds", s.lastDelivery() == null ? null
                : Duration.between(s.lastDelivery(), now).toSeconds());
        return n;
    }

    private static String bundleState(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "ACTIVE";
        };
    }
}
