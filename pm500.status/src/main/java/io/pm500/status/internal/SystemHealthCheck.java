package io.pm500.status.internal;

import io.pm500.kit.config.ConfigValues;
import java.util.Map;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health (tag {@code system}): room for the outboxes, no configured component that failed or waits and no refused
 * configuration.
 */
@Component(configurationPid = SystemHealthCheck.PID, property = { HealthCheck.NAME + "=PM500 gateway",
        HealthCheck.TAGS + "=system", HealthCheck.TAGS + "=pm500" })
@Designate(ocd = SystemHealthCheck.Config.class)
public final class SystemHealthCheck implements HealthCheck {
    static final String PID = "pm500.health.system";
    private static final Logger LOG = LoggerFactory.getLogger(SystemHealthCheck.class);

    @ObjectClassDefinition(name = "PM500 health: gateway", description = "When /health counts the gateway itself"
            + " as unhealthy.")
    public @interface Config {
        @AttributeDefinition(name = "Minimum free disk (MB)", description = "Less free space than this on the file"
                + " system of data/ (the outboxes) is unhealthy.", min = "1")
        long diskFreeMegabytes() default 500;
    }

    private final DataDisk disk;
    private final Snapshots snapshots;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceComponentRuntime scr;
    private volatile long minFreeBytes;

    @Activate
    public SystemHealthCheck(BundleContext context, Map<String, Object> properties,
            @Reference Snapshots snapshots) {
        disk = DataDisk.of(context);
        this.snapshots = snapshots;
        configure(properties);
    }

    @Modified
    void configure(Map<String, Object> properties) {
        Config c = ConfigValues.read(properties, Config.class, LOG);
        if (c.diskFreeMegabytes() < 1) {
            throw new IllegalArgumentException(ConfigValues.name(properties) + ": diskFreeMegabytes is "
                    + c.diskFreeMegabytes() + "; set 1 or more (default 500)");
        }
        minFreeBytes = c.diskFreeMegabytes() << 20;
    }

    @Override
    public Result execute() {
        return HealthRules.system(disk.directory(), disk.freeBytes(), minFreeBytes,
                Components.notActive(scr, snapshots));
    }
}
