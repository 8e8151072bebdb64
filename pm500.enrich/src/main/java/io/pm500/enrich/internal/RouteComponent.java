package io.pm500.enrich.internal;

import io.pm500.api.sink.Sink;
import io.pm500.kit.config.ConfigValues;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How readings reach one sink, a factory configuration {@code pm500.route~<name>}: outbox size, batch size and
 * report-by-exception. A route also keeps the sink's outbox filling while no sink of that name is registered.
 * The pipeline tracks these services; a changed configuration is a new service.
 */
@Component(configurationPid = RouteComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = RouteComponent.class)
@Designate(ocd = RouteComponent.Config.class, factory = true)
public final class RouteComponent {
    static final String PID = "pm500.route";
    private static final Logger LOG = LoggerFactory.getLogger(RouteComponent.class);

    @ObjectClassDefinition(name = "PM500 sink route", description = "How readings reach one sink: its outbox size,"
            + " batching and report-by-exception. Sinks without a route get every reading and the pipeline's"
            + " default outbox size.")
    public @interface Config {
        @AttributeDefinition(name = "Sink name", description = "The sink.name of the sink service, e.g. influx.")
        String sinkName();

        @AttributeDefinition(name = "Outbox size (MB)", description = "Disk the sink's outbox may use; when full,"
                + " the oldest readings are dropped and counted. See docs/pipeline.md for sizing.")
        int maxMegabytes() default 512;

        @AttributeDefinition(name = "Batch size", description = "Readings per delivery, about (1..100000).")
        int batchSize() default RouteSettings.DEFAULT_BATCH_SIZE;

        @AttributeDefinition(name = "Catch-up batch size", description = "Readings per delivery while more than two"
                + " batches are queued, e.g. after an outage (1..100000; never fewer than the batch size). For"
                + " historians (e.g. 50000): a backlog drains in fewer, larger writes. Not for Sparkplug: large bursts"
                + " of QoS 0 messages outrun hosts.")
        int catchUpBatchSize() default RouteSettings.DEFAULT_CATCH_UP_BATCH_SIZE;

        @AttributeDefinition(name = "Flush interval (ms)", description = "How long readings may wait for a full batch"
                + " (0..60000); 0 delivers as soon as there are any. The default gathers a poll cycle's readings into"
                + " fewer deliveries; historians take fewer, larger writes better (1000 and more).")
        int flushIntervalMillis() default RouteSettings.DEFAULT_FLUSH_MILLIS;

        @AttributeDefinition(name = "Report by exception", description = "Deliver a metric only when it changed by"
                + " more than the deadband, its quality changed, or max silence passed. Off: every reading.")
        boolean reportByException() default false;

        @AttributeDefinition(name = "Absolute deadband", description = "In the metric's published unit; 0 = any"
                + " change.")
        double deadbandAbsolute() default 0;

        @AttributeDefinition(name = "Percent deadband", description = "In percent of the last delivered value;"
                + " the larger of the two deadbands applies.")
        double deadbandPercent() default 0;

        @AttributeDefinition(name = "Max silence (s)", description = "An unchanged metric is delivered again"
                + " after this long.")
        double maxSilenceSeconds() default 60;

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "Route to sink {sinkName}";
    }

    private final RouteSettings settings;

    @Activate
    public RouteComponent(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        try {
            settings = validate(config);
        } catch (IllegalArgumentException e) {
            LOG.error(e.getMessage());
            throw e;
        }
    }

    RouteSettings settings() {
        return settings;
    }

    static RouteSettings validate(Config c) {
        String name = c.sinkName() == null ? null : c.sinkName().trim();
        Sink.checkName(name, "sink route");
        String where = "route of sink '" + name + "'";
        if (c.maxMegabytes() < 1) {
            throw new IllegalArgumentException(where + ": maxMegabytes is " + c.maxMegabytes() + "; give at least 1");
        }
        if (c.batchSize() < 1 || c.batchSize() > 100_000) {
            throw new IllegalArgumentException(where + ": batchSize is " + c.batchSize() + "; give 1..100000");
        }
        if (c.catchUpBatchSize() < 1 || c.catchUpBatchSize() > 100_000) {
            throw new IllegalArgumentException(where + ": catchUpBatchSize is " + c.catchUpBatchSize()
                    + "; give 1..100000");
        }
        if (c.flushIntervalMillis() < 0 || c.flushIntervalMillis() > 60_000) {
            throw new IllegalArgumentException(where + ": flushIntervalMillis is " + c.flushIntervalMillis()
                    + "; give 0..60000");
        }
        if (!(c.deadbandAbsolute() >= 0) || !(c.deadbandPercent() >= 0) || !(c.maxSilenceSeconds() > 0)
                || Double.isInfinite(c.deadbandAbsolute() + c.deadbandPercent() + c.maxSilenceSeconds())) {
            throw new IllegalArgumentException(where + ": deadbands must be ≥ 0 and maxSilenceSeconds > 0, got"
                    + " deadbandAbsolute=" + c.deadbandAbsolute() + ", deadbandPercent=" + c.deadbandPercent()
                    + ", maxSilenceSeconds=" + c.maxSilenceSeconds());
        }
        ExceptionFilter.Deadband deadband = c.reportByException() ? new ExceptionFilter.Deadband(
                c.deadbandAbsolute(), c.deadbandPercent(), RouteSettings.seconds(c.maxSilenceSeconds())) : null;
        return new RouteSettings(name, c.maxMegabytes() * 1024L * 1024L, c.batchSize(), c.catchUpBatchSize(),
                c.flushIntervalMillis(), deadband);
    }
}
