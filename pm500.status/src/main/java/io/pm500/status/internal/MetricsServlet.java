package io.pm500.status.internal;

import io.pm500.api.reading.Quality;
import io.pm500.api.status.BlockPolls;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.FleetStatus;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.PollTimes;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
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

    @Reference
    private Snapshots snapshots;

    private final transient PrometheusRegistry registry = new PrometheusRegistry();
    private final transient ExpositionFormats formats = ExpositionFormats.init();

    private final transient DataDisk disk;

    @Activate
    public MetricsServlet(BundleContext context) {
        disk = DataDisk.of(context);
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
        List<MeterStatus> meters = snapshots.meters();
        List<SinkStatus> sinks = snapshots.sinks();
        Map<String, Labels> byMeter = new HashMap<>();
        meters.forEach(m -> byMeter.put(m.meterId(), meterLabels(m)));
        Function<MeterStatus, Labels> meter = m -> byMeter.get(m.meterId());
        Function<SinkStatus, Labels> sink = s -> Labels.of("sink", s.sinkName());
        return MetricSnapshots.of(
                gauge("pm500_meter_up", "1 when the meter's last poll got an answer (CONNECTED), else 0", meters,
                        meter, m -> m.state() == ConnectionState.CONNECTED ? 1 : 0),
                polls(meters, meter),
                pollSeconds(meters, meter),
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
                gauge("pm500_sink_queued_bytes_limit", "The outbox's limit: beyond it the oldest readings are dropped",
                        sinks, sink, SinkStatus::queuedBytesLimit),
                gauge("pm500_sink_oldest_seconds", "Age of the oldest reading waiting for the sink", sinks, sink,
                        s -> s.oldestAge().toMillis() / 1000.0),
                readings(snapshots.readings()),
                fleet(snapshots.fleet()),
                GaugeSnapshot.builder().name("pm500_data_free_bytes").help("Free space for outboxes: usable bytes"
                        + " of the file system of the data directory").dataPoint(GaugeDataPointSnapshot.builder()
                        .value(disk.freeBytes()).build()).build());
    }

    /** The release the fleet agent applied and the last it refused or rolled back (no points without an agent). */
    private static GaugeSnapshot fleet(Optional<FleetStatus> fleet) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name("pm500_fleet_release")
                .help("Fleet releases: current (applied and healthy), staged, failed (the last refused or rolled back)");
        fleet.ifPresent(f -> {
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("release", "current"))
                    .value(f.currentRelease()).build());
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("release", "staged"))
                    .value(f.stagedRelease()).build());
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("release", "failed"))
                    .value(f.failedRelease()).build());
        });
        return b.build();
    }

    /** Each block's polls by result; results that never happened are left out. */
    private static CounterSnapshot polls(List<MeterStatus> meters, Function<MeterStatus, Labels> labels) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name("pm500_meter_polls")
                .help("Polls of a block of the meter by result since the driver started it");
        for (MeterStatus m : meters) {
            Labels meter = labels.apply(m);
            for (BlockPolls block : m.blockPolls()) {
                block.results().forEach((result, count) -> b.dataPoint(CounterDataPointSnapshot.builder()
                        .labels(meter.add("block", block.blockId()).add("result", result.name().toLowerCase(
                                Locale.ROOT))).value(count).build()));
            }
        }
        return b.build();
    }

    private static HistogramSnapshot pollSeconds(List<MeterStatus> meters, Function<MeterStatus, Labels> labels) {
        double[] bounds = new double[PollTimes.BOUNDS_SECONDS.size() + 1];
        for (int i = 0; i < PollTimes.BOUNDS_SECONDS.size(); i++) {
            bounds[i] = PollTimes.BOUNDS_SECONDS.get(i);
        }
        bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
        HistogramSnapshot.Builder b = HistogramSnapshot.builder().name("pm500_meter_poll_seconds")
                .help("Round-trip times of the meter's successful polls");
        for (MeterStatus m : meters) {
            b.dataPoint(HistogramDataPointSnapshot.builder().labels(labels.apply(m))
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(Arrays.stream(bounds).boxed().toList(),
                            m.pollTimes().counts()))
                    .sum(m.pollTimes().sumSeconds()).build());
        }
        return b.build();
    }

    private static CounterSnapshot readings(Map<Quality, Long> byQuality) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name("pm500_readings")
                .help("Readings the pipeline made since it started, by quality");
        for (Quality q : Quality.values()) {
            b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("quality", q.name()))
                    .value(byQuality.getOrDefault(q, 0L)).build());
        }
        return b.build();
    }

    private Labels meterLabels(MeterStatus m) {
        return Labels.of("meter", m.meterId(), "asset", Snapshots.asset(m.meterId(), snapshots.newest(m.meterId())));
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
