package io.pm500.status.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.HttpWhiteboardConstants;

/**
 * {@code /metrics} for Prometheus, written by the Prometheus Java client (OpenMetrics text when the scraper asks for
 * it, else Prometheus text): the meters' and sinks' status snapshots as gauges and counters, and the JVM's metrics.
 * No login (a scraper has none) and no secrets: meter, asset and sink names and numbers only; the HTTP server binds
 * to loopback unless configured otherwise (docs/operations.md).
 */
@Component(service = Servlet.class, property = {
        HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_PATTERN + "=" + MetricsServlet.PATH,
        HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_NAME + "=pm500-metrics" })
public final class MetricsServlet extends HttpServlet implements MultiCollector {
    static final String PATH = "/metrics";
    private static final long serialVersionUID = 1L;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<StatusSource> sources;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MeterCatalog catalog;

    private final transient PrometheusRegistry registry = new PrometheusRegistry();
    private final transient ExpositionFormats formats = ExpositionFormats.init();

    private final transient Path data;

    @Activate
    public MetricsServlet(BundleContext context) {
        String dir = context.getProperty("pm500.data.dir");
        data = Path.of(dir == null ? "data" : dir).toAbsolutePath();
        registry.register(this);
        JvmMetrics.builder().register(registry);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(request.getHeader("Accept"));
        response.setContentType(writer.getContentType());
        response.setHeader("Cache-Control", "no-store");
        writer.write(response.getOutputStream(), registry.scrape());
    }

    /** Made at each scrape from the snapshots the drivers and the pipeline keep in memory. */
    @Override
    public MetricSnapshots collect() {
        List<StatusSource> all = sources == null ? List.of() : sources;
        List<MeterStatus> meters = all.stream().flatMap(s -> s.meters().stream()).toList();
        List<SinkStatus> sinks = all.stream().flatMap(s -> s.sinks().stream()).toList();
        Map<String, Labels> byMeter = new HashMap<>();
        meters.forEach(m -> byMeter.put(m.meterId(), meterLabels(m)));
        Function<MeterStatus, Labels> meter = m -> byMeter.get(m.meterId());
        Function<SinkStatus, Labels> sink = s -> Labels.of("sink", s.sinkName());
        return MetricSnapshots.of(
                gauge("pm500_meter_up", "1 when the meter's last poll got an answer (CONNECTED), else 0", meters,
                        meter, m -> m.state() == ConnectionState.CONNECTED ? 1 : 0),
                counter("pm500_meter_polls", "Polls of the meter since the driver started it", meters, meter,
                        MeterStatus::polls),
                counter("pm500_meter_poll_failures", "Polls of the meter that failed", meters, meter,
                        MeterStatus::failures),
                counter("pm500_meter_reconnects", "Connections to the meter after the first", meters, meter,
                        MeterStatus::reconnects),
                gauge("pm500_meter_last_poll_seconds", "Duration of the meter's last poll", meters, meter,
                        m -> m.lastLatency() == null ? 0 : m.lastLatency().toNanos() / 1e9),
                gauge("pm500_sink_up", "1 when the sink delivers (UP), else 0 (RETRYING, ABSENT)", sinks, sink,
                        s -> s.state() == SinkState.UP ? 1 : 0),
                counter("pm500_sink_delivered", "Readings the sink has delivered", sinks, sink,
                        SinkStatus::delivered),
                counter("pm500_sink_failed_tries", "Deliveries that failed and are retried", sinks, sink,
                        SinkStatus::failedTries),
                counter("pm500_sink_dropped", "Readings dropped because the sink's outbox was full", sinks, sink,
                        SinkStatus::dropped),
                counter("pm500_sink_dead_letters", "Readings the destination refused for good (dead letters)",
                        sinks, sink, SinkStatus::deadLettered),
                gauge("pm500_sink_queued_readings", "Readings waiting in the sink's outbox", sinks, sink,
                        SinkStatus::queued),
                gauge("pm500_sink_queued_bytes", "Bytes of the sink's outbox", sinks, sink, SinkStatus::queuedBytes),
                gauge("pm500_sink_oldest_seconds", "Age of the oldest reading waiting for the sink", sinks, sink,
                        s -> s.oldestAge().toMillis() / 1000.0),
                GaugeSnapshot.builder().name("pm500_data_free_bytes").help("Free space for outboxes: usable bytes"
                        + " of the file system of the data directory").dataPoint(GaugeDataPointSnapshot.builder()
                        .value(freeBytes()).build()).build());
    }

    private double freeBytes() {
        try {
            return Files.getFileStore(data).getUsableSpace();
        } catch (IOException e) {
            return 0; // the directory is gone: no room for anything
        }
    }

    private Labels meterLabels(MeterStatus m) {
        MeterCatalog c = catalog;
        List<EnrichedReading> newest = c == null ? List.of() : c.newest(m.meterId());
        return Labels.of("meter", m.meterId(), "asset", newest.isEmpty() ? m.meterId() : newest.get(0).asset());
    }

    private static <T> GaugeSnapshot gauge(String name, String help, List<T> items, Function<T, Labels> labels,
            ToDoubleFunction<T> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        items.forEach(i -> b.dataPoint(GaugeDataPointSnapshot.builder().labels(labels.apply(i))
                .value(value.applyAsDouble(i)).build()));
        return b.build();
    }

    private static <T> CounterSnapshot counter(String name, String help, List<T> items, Function<T, Labels> labels,
            ToDoubleFunction<T> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        items.forEach(i -> b.dataPoint(CounterDataPointSnapshot.builder().labels(labels.apply(i))
                .value(value.applyAsDouble(i)).build()));
        return b.build();
    }
}
