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

/** Health (tag {@code meters}): every configured meter polled within a few of its intervals, none LOST. */
@Component(configurationPid = MetersHealthCheck.PID, property = { HealthCheck.NAME + "=PM500 meters",
        HealthCheck.TAGS + "=meters", HealthCheck.TAGS + "=pm500" })
@Designate(ocd = MetersHealthCheck.Config.class)
public final class MetersHealthCheck implements HealthCheck {
    static final String PID = "pm500.health.meters";
    private static final Logger LOG = LoggerFactory.getLogger(MetersHealthCheck.class);

    @ObjectClassDefinition(name = "PM500 health: meters", description = "When /health counts a meter as unhealthy.")
    public @interface Config {
        @AttributeDefinition(name = "Missed intervals", description = "A meter without a good poll for this many of"
                + " its shortest block interval is unhealthy (as is a LOST one).", min = "1")
        int missedIntervals() default 3;
    }

    @Reference
    private Snapshots snapshots;
    private volatile int missedIntervals;

    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        Config c = ConfigValues.read(properties, Config.class, LOG);
        if (c.missedIntervals() < 1) {
            throw new IllegalArgumentException(ConfigValues.name(properties) + ": missedIntervals is "
                    + c.missedIntervals() + "; set 1 or more (default 3)");
        }
        missedIntervals = c.missedIntervals();
    }

    @Override
    public Result execute() {
        return HealthRules.meters(snapshots.meters(), missedIntervals, Instant.now());
    }
}
