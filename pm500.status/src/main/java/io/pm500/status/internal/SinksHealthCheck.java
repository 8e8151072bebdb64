package io.pm500.status.internal;

import io.pm500.kit.config.ConfigValues;
import java.time.Instant;
import java.util.Map;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Health (tag {@code sinks}): every sink delivering or with nothing queued, every outbox below its mark. */
@Component(configurationPid = SinksHealthCheck.PID, property = { HealthCheck.NAME + "=PM500 sinks",
        HealthCheck.TAGS + "=sinks", HealthCheck.TAGS + "=pm500" })
@Designate(ocd = SinksHealthCheck.Config.class)
public final class SinksHealthCheck implements HealthCheck {
    static final String PID = "pm500.health.sinks";
    private static final Logger LOG = LoggerFactory.getLogger(SinksHealthCheck.class);

    @ObjectClassDefinition(name = "PM500 health: sinks", description = "When /health counts a sink as unhealthy.")
    public @interface Config {
        @AttributeDefinition(name = "Stalled after (s)", description = "A sink with readings queued that delivered"
                + " nothing for this long is unhealthy.", min = "1")
        long stalledSeconds() default 300;

        @AttributeDefinition(name = "Outbox mark (%)", description = "A sink whose outbox holds this share of its"
                + " limit (the route's maxMegabytes) is unhealthy: beyond the limit readings are dropped.",
                min = "1", max = "100")
        int outboxPercent() default 80;
    }

    @Reference
    private Snapshots snapshots;
    private volatile Config config;

    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        Config c = ConfigValues.read(properties, Config.class, LOG);
        String name = ConfigValues.name(properties);
        if (c.stalledSeconds() < 1) {
            throw new IllegalArgumentException(name + ": stalledSeconds is " + c.stalledSeconds()
                    + "; set 1 or more (default 300)");
        }
        if (c.outboxPercent() < 1 || c.outboxPercent() > 100) {
            throw new IllegalArgumentException(name + ": outboxPercent is " + c.outboxPercent()
                    + "; set 1 to 100 (default 80)");
        }
        config = c;
    }

    @Override
    public Result execute() {
        Config c = config;
        return HealthRules.sinks(snapshots.sinks(), c.stalledSeconds(), c.outboxPercent(), Instant.now());
    }
}
