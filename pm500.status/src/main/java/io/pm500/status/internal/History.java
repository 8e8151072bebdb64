package io.pm500.status.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkStatus;
import io.pm500.kit.config.ConfigValues;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recent past the status page charts, kept in memory from the same snapshots as the page: every sink's queue
 * depth and delivery rate over the last hour, and one metric of every meter (its total real power by default) over
 * the last ten minutes. Sampled every {@value #STEP_SECONDS} s on its own thread; nothing waits on it.
 */
// immediate: the charts cover the time since start, not since someone first opened the page
@Component(service = History.class, configurationPid = History.PID, immediate = true)
@Designate(ocd = History.Config.class)
public final class History {
    static final String PID = "pm500.status.history";
    static final int STEP_SECONDS = 5;
    private static final int SINK_POINTS = 3600 / STEP_SECONDS;
    private static final int METER_POINTS = 600 / STEP_SECONDS;
    private static final Logger LOG = LoggerFactory.getLogger(History.class);

    @ObjectClassDefinition(name = "PM500 status page charts", description = "What the status page charts.")
    public @interface Config {
        @AttributeDefinition(name = "Meter metric", description = "The metric charted for each meter over the last"
                + " ten minutes (a metric name of the meter's profile).")
        String meterMetric() default "power.active.total";
    }

    @Reference
    private Snapshots snapshots;

    private final Map<String, Series> sinks = new ConcurrentHashMap<>();
    private final Map<String, Series> meters = new ConcurrentHashMap<>();
    private final Map<String, String> units = new ConcurrentHashMap<>();
    /** Each sink's delivered count at the last sample: the rate charted is the average between two samples. */
    private final Map<String, long[]> delivered = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pm500-status-history");
        t.setDaemon(true);
        return t;
    });
    private volatile String meterMetric;

    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        String metric = ConfigValues.read(properties, Config.class, LOG).meterMetric().trim();
        if (metric.isEmpty()) {
            throw new IllegalArgumentException(ConfigValues.name(properties) + ": meterMetric is empty; name a"
                    + " metric of the meters' profile (default power.active.total)");
        }
        boolean first = meterMetric == null;
        if (!metric.equals(meterMetric)) {
            meters.clear();
            units.clear();
        }
        meterMetric = metric;
        if (first) {
            timer.scheduleAtFixedRate(this::sample, 0, STEP_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Deactivate
    void stop() {
        timer.shutdownNow();
    }

    void sample() {
        try {
            long now = System.currentTimeMillis();
            Set<String> seenSinks = new HashSet<>();
            Set<String> seenMeters = new HashSet<>();
            for (SinkStatus s : snapshots.sinks()) {
                    seenSinks.add(s.sinkName());
                    long[] last = delivered.computeIfAbsent(s.sinkName(), k -> new long[] { -1, now });
                    double rate = last[0] < 0 || s.delivered() < last[0] || now <= last[1] ? Double.NaN
                            : (s.delivered() - last[0]) * 1000.0 / (now - last[1]);
                    last[0] = s.delivered();
                    last[1] = now;
                    sinks.computeIfAbsent(s.sinkName(), k -> new Series(SINK_POINTS, 2)).add(now, s.queued(), rate);
            }
            for (MeterStatus m : snapshots.meters()) {
                seenMeters.add(m.meterId());
                meters.computeIfAbsent(m.meterId(), k -> new Series(METER_POINTS, 1)).add(now,
                        meterValue(m.meterId()));
            }
            sinks.keySet().retainAll(seenSinks);
            delivered.keySet().retainAll(seenSinks);
            meters.keySet().retainAll(seenMeters);
        } catch (RuntimeException e) {
            LOG.warn("Status page history: a sample failed, the charts miss a point: {}", e.toString());
        }
    }

    /** The charted metric's newest GOOD or UNCERTAIN value; NaN (a gap in the chart) otherwise. */
    private double meterValue(String meterId) {
        String metric = meterMetric;
        for (EnrichedReading r : snapshots.newest(meterId)) {
            if (r.metric().equals(metric)) {
                units.put(meterId, r.unit());
                boolean usable = r.quality() == Quality.GOOD || r.quality() == Quality.UNCERTAIN;
                return usable && r.value() instanceof Value.Real d ? d.value()
                        : usable && r.value() instanceof Value.Int i ? i.value() : Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** Every sink's series, and the meter's when asked for one (the page asks for the meter it shows). */
    ObjectNode json(String meterId) {
        ObjectNode root = StatusJson.JSON.createObjectNode();
        root.put("stepSeconds", STEP_SECONDS);
        ObjectNode s = root.putObject("sinks");
        new TreeMap<>(sinks).forEach((name, series) -> series.write(s.putObject(name), "queued",
                "deliveredPerSecond"));
        if (meterId != null) {
            Series series = meters.get(meterId);
            if (series != null) {
                ObjectNode m = root.putObject("meter").put("meterId", meterId).put("metric", meterMetric)
                        .put("unit", units.getOrDefault(meterId, ""));
                series.write(m, "values");
            }
        }
        return root;
    }
}
