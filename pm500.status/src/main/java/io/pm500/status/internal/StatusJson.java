package io.pm500.status.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.sample.Value;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The status document ({@code status.json}, schema in {@code docs/operations.md}): built from snapshots the drivers
 * and the pipeline keep in memory (their {@link StatusSource}s, the {@link MeterCatalog}'s newest readings), so
 * building it never waits on a meter or a sink.
 */
final class StatusJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {
    }

    static ObjectNode build(BundleContext context, List<StatusSource> sources, MeterCatalog catalog,
            ServiceComponentRuntime scr, Instant now) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("time", now.toString());
        root.set("gateway", gateway(context, scr));
        ArrayNode meters = root.putArray("meters");
        ArrayNode sinks = root.putArray("sinks");
        List<MeterStatus> allMeters = sources.stream().flatMap(s -> s.meters().stream())
                .sorted(Comparator.comparing(MeterStatus::meterId)).toList();
        for (MeterStatus m : allMeters) {
            meters.add(meter(m, catalog == null ? List.of() : catalog.newest(m.meterId()), now));
        }
        sources.stream().flatMap(s -> s.sinks().stream()).sorted(Comparator.comparing(SinkStatus::sinkName))
                .forEach(s -> sinks.add(sink(s, now)));
        return root;
    }

    private static ObjectNode gateway(BundleContext context, ServiceComponentRuntime scr) throws IOException {
        ObjectNode g = JSON.createObjectNode();
        g.put("version", context.getBundle().getVersion().toString());
        g.put("uptimeSeconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
        Runtime rt = Runtime.getRuntime();
        g.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
        g.put("heapMaxBytes", rt.maxMemory());
        g.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        String data = context.getProperty("pm500.data.dir");
        Path dataDir = Path.of(data == null ? "data" : data).toAbsolutePath();
        g.put("dataDirectory", dataDir.toString());
        g.put("dataDiskFreeBytes", Files.exists(dataDir) ? Files.getFileStore(dataDir).getUsableSpace() : 0);
        ArrayNode bundles = g.putArray("bundlesNotActive");
        for (Bundle b : context.getBundles()) {
            if (b.getState() != Bundle.ACTIVE && b.getHeaders().get("Fragment-Host") == null) {
                bundles.addObject().put("name", b.getSymbolicName()).put("state", bundleState(b.getState()));
            }
        }
        ArrayNode components = g.putArray("componentsNotActive");
        if (scr != null) {
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED) {
                        components.addObject().put("name", d.name)
                                .put("configuration", String.valueOf(c.properties.get("service.pid")))
                                .put("reason", whyNotActive(c));
                    }
                }
            }
        }
        return g;
    }

    private static ObjectNode meter(MeterStatus m, List<EnrichedReading> newest, Instant now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("meterId", m.meterId());
        n.put("asset", newest.isEmpty() ? m.meterId() : newest.get(0).asset());
        n.put("driver", m.driver());
        n.put("endpoint", m.endpoint());
        n.put("state", m.state().name());
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
        n.put("oldestQueuedSeconds", s.oldestAge().toSeconds());
        n.put("dropped", s.dropped());
        n.put("deadLettered", s.deadLettered());
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

    /** Why a component configuration is not active, in words: the start-up report and the page say the same. */
    static String whyNotActive(ComponentConfigurationDTO c) {
        return switch (c.state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "waiting for its configuration";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "unsatisfied reference "
                    + c.unsatisfiedReferences[0].name;
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "activation failed: " + cause(c.failure);
            default -> "state " + c.state;
        };
    }

    /** SCR's failure is a stack trace of the reflective call; the reason is its innermost cause's message. */
    private static String cause(String failure) {
        if (failure == null) {
            return "";
        }
        String reason = failure.lines().findFirst().orElse("");
        for (String line : failure.lines().toList()) {
            if (line.startsWith("Caused by: ")) {
                reason = line.substring("Caused by: ".length());
            }
        }
        return reason;
    }
}
