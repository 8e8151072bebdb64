package io.pm500.enrich.internal;

import io.pm500.api.profile.DeviceProfiles;
import io.pm500.api.profile.ProfileException;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.sink.Sink;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline: the {@link SampleConsumer} drivers feed. Each sample is enriched, filtered per sink, appended to
 * every sink's outbox and made durable before {@link #accept} returns; one courier thread per sink drains its
 * outbox. Also the {@link StatusSource} of the sinks. Rules and guarantees: {@code docs/pipeline.md}.
 */
@Component(configurationPid = PipelineComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = { SampleConsumer.class, StatusSource.class }, immediate = true)
@Designate(ocd = PipelineComponent.Config.class)
public final class PipelineComponent implements SampleConsumer, StatusSource {
    static final String PID = "pm500.pipeline";
    private static final Logger LOG = LoggerFactory.getLogger(PipelineComponent.class);

    @ObjectClassDefinition(name = "PM500 pipeline", description = "Enrichment rules and the durable outboxes that"
            + " feed the sinks.")
    public @interface Config {
        @AttributeDefinition(name = "Stale after (poll intervals)", description = "A block's values are published"
                + " STALE when no sample arrived for this many of its poll intervals (at least 2).")
        int staleFactor() default 3;

        @AttributeDefinition(name = "Unit overrides", description = "<metric>=<unit> or <prefix>.*=<unit>, e.g."
                + " power.active.total=W or energy.*=kWh. Values are converted; only SI prefixes may differ.")
        String[] unitOverrides() default {};

        @AttributeDefinition(name = "Derived metrics", description = "<metric>=<function>(<metric>,...) with"
                + " function unbalance (% largest deviation from the average), sum or avg; computed when every"
                + " input is in the same sample.")
        String[] derived() default { "voltage.unbalance=unbalance(voltage.l1n,voltage.l2n,voltage.l3n)",
                "current.unbalance=unbalance(current.l1,current.l2,current.l3)" };

        @AttributeDefinition(name = "Default outbox size (MB)", description = "For sinks without a route"
                + " configuration.")
        int defaultMaxMegabytes() default 512;

        @AttributeDefinition(name = "Sync interval (ms)", description = "Appends reach the operating system before"
                + " a driver's sample is acknowledged (a crashed or killed gateway loses nothing); they are forced to"
                + " the disk at least this often, so a power cut loses at most this much. 0 = force every commit.")
        int syncIntervalMillis() default 1000;

        @AttributeDefinition(name = "Retired sinks", description = "Sink names whose outboxes are deleted with"
                + " what they hold, for sinks removed for good. Ignored while a sink or route of that name exists.")
        String[] retiredSinks() default {};
    }

    private final OutboxStore store;
    private final DeadLetters deadLetters;
    private final Clock clock = Clock.systemUTC();
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Map<String, MeterState> meters = new ConcurrentHashMap<>();
    private final Map<String, Sink> sinks = new ConcurrentHashMap<>();
    private final Map<String, RouteSettings> routeConfigs = new ConcurrentHashMap<>();
    private final Map<AssetComponent, AssetInfo> assets = new ConcurrentHashMap<>();
    private final List<StatusSource> drivers = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService sweeper;
    private volatile Enrichment enrichment;
    private volatile Config config;
    private volatile Set<String> lostMeters = Set.of();
    private volatile boolean warnedNoRoute;

    @Activate
    public PipelineComponent(Config config, BundleContext context) {
        String dataDir = context.getProperty("pm500.data.dir");
        Path dir = Path.of(dataDir == null ? "data" : dataDir, "pipeline");
        try {
            configure(config);
        } catch (IllegalArgumentException e) {
            LOG.error(e.getMessage());
            throw e;
        }
        store = new OutboxStore(dir.resolve("outbox.mv.db"), config.syncIntervalMillis());
        deadLetters = new DeadLetters(dir.resolve("dead-letter"));
        for (String name : store.sinkNames()) {
            route(name);
        }
        retire(config);
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm500-pipeline-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    @Modified
    void configure(Config c) {
        EnrichSettings settings = EnrichSettings.of(c.staleFactor(), c.unitOverrides(), c.derived());
        if (c.defaultMaxMegabytes() < 1 || c.syncIntervalMillis() < 0) {
            throw new IllegalArgumentException("pipeline: defaultMaxMegabytes must be ≥ 1 and syncIntervalMillis ≥ 0,"
                    + " got " + c.defaultMaxMegabytes() + " and " + c.syncIntervalMillis());
        }
        for (String name : c.retiredSinks()) {
            RouteSettings.checkSinkName(name, "pipeline retiredSinks");
        }
        try {
            MeterModel.checkOverrides(DeviceProfiles.builtIn(DeviceProfiles.PM500), settings);
        } catch (ProfileException e) {
            throw new IllegalStateException(e);
        }
        config = c;
        enrichment = new Enrichment(settings, assetMap());
        if (store != null) { // a modification, not the activation
            store.syncIntervalMillis(c.syncIntervalMillis());
            routes.forEach((name, route) -> route.apply(settingsFor(name)));
            retire(c);
        }
    }

    @Deactivate
    void deactivate() {
        sweeper.shutdownNow();
        routes.values().forEach(r -> r.courier().stop());
        store.close();
    }

    // ---- references ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindSink(Sink sink, Map<String, Object> props) {
        Object name = props.get(Sink.NAME);
        String sinkName = name == null ? null : name.toString();
        try {
            RouteSettings.checkSinkName(sinkName, "sink service " + props.get("component.name"));
        } catch (IllegalArgumentException e) {
            LOG.error("{}; the sink gets no readings until its {} property is fixed", e.getMessage(), Sink.NAME);
            return;
        }
        if (sinks.putIfAbsent(sinkName, sink) != null) {
            LOG.error("Two sink services are named '{}'; the second ({}) gets no readings: give it another {}",
                    sinkName, props.get("component.name"), Sink.NAME);
            return;
        }
        route(sinkName).courier().sink(sink);
        LOG.info("Sink '{}' bound; delivering its outbox ({} readings queued)", sinkName,
                route(sinkName).courier().outbox().readings());
    }

    void unbindSink(Sink sink, Map<String, Object> props) {
        Object name = props.get(Sink.NAME);
        if (name != null && sinks.remove(name.toString(), sink)) {
            Route r = routes.get(name.toString());
            if (r != null) {
                r.courier().sink(null);
            }
            LOG.info("Sink '{}' went away; its outbox keeps filling until it returns", name);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindRoute(RouteComponent route) {
        RouteSettings s = route.settings();
        if (routeConfigs.putIfAbsent(s.sinkName(), s) != null) {
            LOG.error("Two routes name sink '{}'; the second is ignored: remove one", s.sinkName());
            return;
        }
        route(s.sinkName()).apply(s);
    }

    void unbindRoute(RouteComponent route) {
        RouteSettings s = route.settings();
        if (routeConfigs.remove(s.sinkName(), s)) {
            Route r = routes.get(s.sinkName());
            if (r != null) {
                r.apply(settingsFor(s.sinkName()));
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAsset(AssetComponent asset) {
        assets.put(asset, asset.info());
        enrichment = new Enrichment(enrichment.settings(), assetMap());
    }

    void unbindAsset(AssetComponent asset) {
        assets.remove(asset);
        enrichment = new Enrichment(enrichment.settings(), assetMap());
    }

    /** Drivers' status, to know which meters are lost; our own registration is filtered out. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(!(objectClass=io.pm500.api.sample.SampleConsumer))")
    void bindDriver(StatusSource source) {
        drivers.add(source);
    }

    void unbindDriver(StatusSource source) {
        drivers.remove(source);
    }

    // ---- the hot path ----

    @Override
    public void accept(Sample sample) {
        MeterState meter = meters.computeIfAbsent(sample.meterId(), MeterState::new);
        boolean appended;
        synchronized (meter) {
            MeterState.Block block = meter.block(sample.blockId());
            block.arrived(System.nanoTime());
            MeterModel model = enrichment.model(sample.meterId());
            int capacity = Enricher.capacity(model, sample.blockId(), sample.points().size(), block.lastOk);
            Enricher.Sequence sequence = new Enricher.Sequence(store.reserve(capacity), capacity);
            List<EnrichedReading> readings = Enricher.enrich(model, sample, lostMeters.contains(sample.meterId()),
                    block.lastOk, sequence, clock.instant());
            if (sample.status().isOk()) {
                block.lastOk = sample;
            }
            appended = append(readings);
        }
        if (appended) {
            store.awaitDurable();
        }
    }

    /** Appends one sample's readings to every route; true when anything was appended. */
    private boolean append(List<EnrichedReading> readings) {
        if (readings.isEmpty()) {
            return false;
        }
        if (routes.isEmpty()) {
            if (!warnedNoRoute) {
                warnedNoRoute = true;
                LOG.warn("Readings of meter {} are not kept: no sink is registered and no sink route configured",
                        readings.get(0).meterId());
            }
            return false;
        }
        boolean appended = false;
        long now = clock.millis();
        for (Route route : routes.values()) {
            List<EnrichedReading> selected = route.select(readings);
            if (!selected.isEmpty()) {
                route.append(selected, now);
                appended = true;
            }
        }
        return appended;
    }

    // ---- once a second ----

    private void sweep() {
        try {
            refreshLostMeters();
            markStale();
            routes.values().forEach(r -> r.courier().sampleRate());
        } catch (RuntimeException e) {
            LOG.error("Pipeline sweep failed: {}", e.toString(), e);
        }
    }

    private void refreshLostMeters() {
        Set<String> lost = new HashSet<>();
        for (StatusSource source : drivers) {
            for (MeterStatus m : source.meters()) {
                if (m.state() == ConnectionState.LOST) {
                    lost.add(m.meterId());
                }
            }
        }
        lostMeters = lost;
    }

    /** Blocks that stopped producing samples get their last values stamped STALE, once. */
    private void markStale() {
        int factor = enrichment.settings().staleFactor();
        boolean appended = false;
        for (MeterState meter : meters.values()) {
            synchronized (meter) {
                long now = System.nanoTime();
                for (Map.Entry<String, MeterState.Block> e : meter.blocks.entrySet()) {
                    MeterState.Block block = e.getValue();
                    if (block.overdue(now, factor)) {
                        block.stale = true;
                        MeterModel model = enrichment.model(meter.meterId);
                        int capacity = Enricher.capacity(model, e.getKey(), 0, block.lastOk);
                        appended |= append(Enricher.stale(model, e.getKey(), block.lastOk,
                                new Enricher.Sequence(store.reserve(capacity), capacity), clock.instant()));
                        LOG.info("Meter {}: no sample of block {} for {} poll intervals; its values are STALE",
                                meter.meterId, e.getKey(), factor);
                    }
                }
            }
        }
        if (appended) {
            store.awaitDurable();
        }
    }

    // ---- routes ----

    private Route route(String sinkName) {
        return routes.computeIfAbsent(sinkName, name -> {
            Outbox outbox = new Outbox(name, store.openMap(name), settingsFor(name).maxBytes());
            Courier courier = new Courier(outbox, deadLetters, store::lastSequence, settingsFor(name).batchSize());
            courier.start();
            if (outbox.readings() > 0) {
                LOG.info("Outbox of sink '{}': {} readings ({} bytes) waiting", name, outbox.readings(),
                        outbox.bytes());
            }
            return new Route(settingsFor(name), courier);
        });
    }

    private RouteSettings settingsFor(String sinkName) {
        RouteSettings configured = routeConfigs.get(sinkName);
        return configured != null ? configured
                : RouteSettings.defaults(sinkName, config.defaultMaxMegabytes() * 1024L * 1024L);
    }

    private void retire(Config c) {
        for (String name : c.retiredSinks()) {
            Route r = routes.get(name);
            if (r == null || sinks.containsKey(name) || routeConfigs.containsKey(name)) {
                continue;
            }
            routes.remove(name);
            r.courier().stop();
            long readings = r.courier().outbox().readings();
            store.removeMap(name);
            LOG.warn("Outbox of retired sink '{}' deleted with its {} readings", name, readings);
        }
    }

    private Map<String, AssetInfo> assetMap() {
        Map<String, AssetInfo> byMeter = new HashMap<>();
        for (AssetInfo a : assets.values()) {
            AssetInfo before = byMeter.putIfAbsent(a.meterId(), a);
            if (before != null) {
                LOG.error("Two assets name meter '{}'; one is ignored: remove one", a.meterId());
            }
        }
        return byMeter;
    }

    @Override
    public List<SinkStatus> sinks() {
        List<SinkStatus> out = new ArrayList<>(routes.size());
        routes.values().forEach(r -> out.add(r.courier().status()));
        out.sort((a, b) -> a.sinkName().compareTo(b.sinkName()));
        return out;
    }
}
