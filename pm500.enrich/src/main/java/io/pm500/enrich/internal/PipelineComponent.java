package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterAsset;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.sink.Sink;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import io.pm500.kit.config.ConfigBatches;
import io.pm500.kit.config.ConfigValues;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
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
 * The pipeline as a DS component: the {@link SampleConsumer} drivers feed (samples, meter plans, connection changes),
 * the {@link StatusSource} of the sinks and the {@link MeterCatalog} of the meters, which it also hands to every sink.
 * It tracks sinks, routes and assets ({@link AssetRegistry}) and runs the once-a-second sweep; the work is in
 * {@link Pipeline}. It reads no driver's status: what it needs of a meter the driver announces. Rules and guarantees:
 * {@code docs/pipeline.md}.
 */
@Component(configurationPid = PipelineComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = { SampleConsumer.class, StatusSource.class, MeterCatalog.class, ConfigurationListener.class },
        immediate = true)
@Designate(ocd = PipelineComponent.Config.class)
public final class PipelineComponent implements SampleConsumer, StatusSource, MeterCatalog, ConfigurationListener {
    static final String PID = "pm500.pipeline";
    private static final Logger LOG = LoggerFactory.getLogger(PipelineComponent.class);
    private static final long MB = 1024L * 1024L;

    @ObjectClassDefinition(name = "PM500 pipeline", description = "Enrichment rules and the durable outboxes that"
            + " feed the sinks.")
    public @interface Config {
        @AttributeDefinition(name = "Stale after (poll intervals)", description = "A block's values are published"
                + " STALE when no sample arrived for this many of its poll intervals (at least 2).")
        int staleFactor() default 3;

        @AttributeDefinition(name = "Unit overrides", description = "<metric>=<unit> or <prefix>*=<unit>, e.g."
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
                + " what they hold, for sinks removed for good. Ignored while a sink or route of that name exists (at"
                + " start: applied once the gateway has started and its sinks are bound).")
        String[] retiredSinks() default {};
    }

    private final ConfigurationAdmin configAdmin;
    private final AssetRegistry assets = new AssetRegistry();
    private final BundleContext context;
    private final Pipeline pipeline;
    private final Map<String, Sink> sinks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private final Catalog catalog;
    /** Asset configuration changes, read in batches: provisioning thousands at once stays linear. */
    private final ConfigBatches assetChanges;
    /** Retires outboxes once the framework has started, when configured while it starts; else null. */
    private FrameworkListener retireWhenStarted;

    @Activate
    public PipelineComponent(Map<String, Object> properties, BundleContext context,
            @Reference ConfigurationAdmin configAdmin) {
        this.configAdmin = configAdmin;
        this.context = context;
        Config config = ConfigValues.read(properties, Config.class, LOG);
        EnrichSettings settings = settings(config);
        String dataDir = context.getProperty("pm500.data.dir");
        pipeline = new Pipeline(Path.of(dataDir == null ? "data" : dataDir, "pipeline"),
                config.syncIntervalMillis(), new Enrichment(settings, assets.load(configAdmin)),
                config.defaultMaxMegabytes() * MB,
                Clock.systemUTC());
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm500-pipeline-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
        catalog = new Catalog(pipeline, sweeper, () -> sinks);
        assetChanges = new ConfigBatches(configAdmin, "(service.factoryPid=" + AssetComponent.PID + ")",
                "pm500-pipeline-assets", batch -> {
                    if (assets.changed(batch, pipeline)) {
                        catalog.changed();
                    }
                }, LOG);
    }

    /**
     * After the sinks present are bound (the constructor runs before): retired outboxes go only if no sink of their
     * name is there. While the framework is still starting, sink bundles may not have registered yet, so retiring
     * waits for the framework to have started.
     */
    @Activate
    @Modified
    synchronized void configure(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        EnrichSettings settings = settings(config);
        assets.reload(configAdmin, pipeline, settings);
        pipeline.syncIntervalMillis(config.syncIntervalMillis());
        pipeline.routes().defaultMaxBytes(config.defaultMaxMegabytes() * MB);
        String[] retired = config.retiredSinks();
        cancelRetireWhenStarted();
        if (retired.length == 0 || context.getBundle(0).getState() == Bundle.ACTIVE) {
            pipeline.routes().retire(retired, sinks.keySet());
            return;
        }
        retireWhenStarted = event -> {
            if (event.getType() == FrameworkEvent.STARTED) {
                synchronized (this) {
                    cancelRetireWhenStarted();
                    pipeline.routes().retire(retired, sinks.keySet());
                }
            }
        };
        context.addFrameworkListener(retireWhenStarted);
    }

    private void cancelRetireWhenStarted() {
        if (retireWhenStarted != null) {
            context.removeFrameworkListener(retireWhenStarted);
            retireWhenStarted = null;
        }
    }

    /** Validates the configuration; a bad one refuses activation (or modification) with what to fix. */
    private static EnrichSettings settings(Config c) {
        try {
            EnrichSettings settings = EnrichSettings.of(c.staleFactor(), c.unitOverrides(), c.derived());
            if (c.defaultMaxMegabytes() < 1 || c.syncIntervalMillis() < 0) {
                throw new IllegalArgumentException("pipeline: defaultMaxMegabytes must be ≥ 1 and syncIntervalMillis"
                        + " ≥ 0, got " + c.defaultMaxMegabytes() + " and " + c.syncIntervalMillis());
            }
            for (String name : c.retiredSinks()) {
                Sink.checkName(name, "pipeline retiredSinks");
            }
            MeterModel.checkOverrides(DeviceProfiles.builtIn(DeviceProfiles.PM500), settings);
            return settings;
        } catch (IllegalArgumentException e) {
            LOG.error(e.getMessage());
            throw e;
        } catch (ProfileException e) {
            throw new IllegalStateException("the built-in profile does not load", e);
        }
    }

    @Deactivate
    synchronized void deactivate() throws InterruptedException {
        assetChanges.close();
        cancelRetireWhenStarted();
        sweeper.shutdownNow();
        pipeline.close();
    }

    @Override
    public void accept(Sample sample) {
        pipeline.accept(sample);
    }

    @Override
    public void accept(List<Sample> samples) {
        pipeline.accept(samples);
    }

    @Override
    public List<SinkStatus> sinks() {
        return pipeline.routes().sinks();
    }

    @Override
    public Map<Quality, Long> readings() {
        return pipeline.readings();
    }

    @Override
    public void announce(MeterPlan plan) {
        if (pipeline.announce(plan)) {
            catalog.changed();
        }
    }

    @Override
    public void connection(String meterId, String driver, ConnectionState state) {
        pipeline.connection(meterId, driver, state);
    }

    @Override
    public void withdraw(String meterId, String driver) {
        if (pipeline.withdraw(meterId, driver)) {
            catalog.changed();
        }
    }

    @Override
    public List<String> meterIds() {
        return catalog.meterIds();
    }

    @Override
    public List<MeterAsset> assets() {
        return catalog.assets();
    }

    @Override
    public List<MetricInfo> metrics(String meterId) {
        return catalog.metrics(meterId);
    }

    @Override
    public List<EnrichedReading> newest(String meterId) {
        return catalog.newest(meterId);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindSink(Sink sink, Map<String, Object> props) {
        Object name = props.get(Sink.NAME);
        String sinkName = name == null ? null : name.toString();
        try {
            Sink.checkName(sinkName, "sink service " + props.get("component.name"));
        } catch (IllegalArgumentException e) {
            LOG.error("{}; the sink gets no readings until its {} property is fixed", e.getMessage(), Sink.NAME);
            return;
        }
        if (sinks.putIfAbsent(sinkName, sink) != null) {
            LOG.error("Two sink services are named '{}'; the second ({}) gets no readings: give it another {}",
                    sinkName, props.get("component.name"), Sink.NAME);
            return;
        }
        Route route = pipeline.routes().route(sinkName);
        // Config Admin's events come asynchronously: the sink gets the assets that exist now
        assets.refresh(configAdmin, pipeline);
        catalog.handTo(sinkName, sink);
        route.sink(sink);
        LOG.info("Sink '{}' bound; delivering its outbox ({} readings queued)", sinkName,
                route.queued());
    }

    /**
     * A sink's properties changed (its configuration was modified). A new {@code sink.name} moves it to the route of
     * that name; the readings waiting under the old name stay in that outbox (ABSENT) until a sink of that name
     * returns or the name is retired.
     */
    void updatedSink(Sink sink, Map<String, Object> props) {
        String before = nameOf(sink);
        Object name = props.get(Sink.NAME);
        if (before != null && before.equals(String.valueOf(name))) {
            return; // another property changed
        }
        if (before != null) {
            detach(before, sink);
            Route old = pipeline.routes().existingRoute(before);
            LOG.warn("Sink '{}' is now named '{}': its readings go to outbox '{}' from now on; the {} readings"
                    + " waiting for '{}' stay there until a sink of that name returns, or retire it (retiredSinks)",
                    before, name, name, old == null ? 0 : old.queued(), before);
        }
        bindSink(sink, props); // a name refused before (bad, or taken) may be fine now
    }

    void unbindSink(Sink sink) {
        String name = nameOf(sink);
        if (name != null) {
            detach(name, sink);
            LOG.info("Sink '{}' went away; its outbox keeps filling until it returns", name);
        }
    }

    /** The name the sink is bound under; null when it was refused (a bad or taken name). */
    private String nameOf(Sink sink) {
        for (Map.Entry<String, Sink> e : sinks.entrySet()) {
            if (e.getValue() == sink) {
                return e.getKey();
            }
        }
        return null;
    }

    private void detach(String name, Sink sink) {
        if (sinks.remove(name, sink)) {
            Route r = pipeline.routes().existingRoute(name);
            if (r != null) {
                r.sink(null);
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindRoute(RouteComponent route) {
        if (!pipeline.routes().configureRoute(route.settings())) {
            LOG.error("Two routes name sink '{}'; the second is ignored: remove one", route.settings().sinkName());
        }
    }

    void unbindRoute(RouteComponent route) {
        pipeline.routes().removeRouteConfig(route.settings());
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (AssetComponent.PID.equals(event.getFactoryPid())) {
            assetChanges.event(event);
        }
    }

    private void sweep() {
        try {
            pipeline.markStale();
            pipeline.routes().sampleRates();
        } catch (RuntimeException e) {
            LOG.error("Pipeline sweep failed: {}", e.toString(), e);
        }
    }
}
