package io.pm500.driver.modbus.internal;

import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.StatusSource;
import io.pm500.driver.kit.MeterConfigurations;
import io.pm500.profile.DeviceProfiles;
import java.time.Clock;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ManagedServiceFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PowerMonitor 500s read over Modbus TCP: a factory configuration {@code pm500.driver.modbus~<name>} per meter,
 * handed to this component's {@link ManagedServiceFactory} (see {@link MeterConfigurations} for why not a component
 * per meter). Each configured block is polled at its own fixed rate (in a slot of the poll grid), on one of the
 * driver's loops.
 */
@Component(configurationPid = ModbusMeterComponent.PID, configurationPolicy = ConfigurationPolicy.IGNORE,
        service = { ManagedServiceFactory.class, StatusSource.class }, immediate = true,
        property = Constants.SERVICE_PID + "=" + ModbusMeterComponent.PID)
@Designate(ocd = ModbusMeterComponent.Config.class, factory = true)
public final class ModbusMeterComponent extends MeterConfigurations<ModbusMeterComponent.Config, MeterSettings> {
    static final String PID = "pm500.driver.modbus";
    private static final Logger LOG = LoggerFactory.getLogger(ModbusMeterComponent.class);
    private final PollScheduler scheduler;

    @ObjectClassDefinition(name = "PM500 meter (Modbus TCP)",
            description = "One PowerMonitor 500 read over Modbus TCP. Add one configuration per meter.")
    public @interface Config {
        @AttributeDefinition(name = "Meter id", description = "Unique id of the meter in this gateway.")
        String meterId();

        @AttributeDefinition(name = "Host", description = "The meter's IP address or host name.")
        String host();

        @AttributeDefinition(name = "Port", description = "Modbus TCP port.")
        int port() default 502;

        @AttributeDefinition(name = "Unit id", description = "Modbus unit id (0..255).")
        int unitId() default 1;

        @AttributeDefinition(name = "Device profile", description = "Built-in profile (pm500) or the path of a"
                + " profile file.")
        String profile() default DeviceProfiles.PM500;

        @AttributeDefinition(name = "Block intervals", description = "<block>=<milliseconds> per profile block to"
                + " poll; 0 = once per connection; at least 50 ms otherwise. Blocks not listed are not read.")
        String[] blockIntervals() default { "info=0", "energy=5000", "settings=60000", "status=1000" };

        @AttributeDefinition(name = "Timeout (ms)", description = "Connect and reply timeout.")
        int timeoutMillis() default 1000;

        @AttributeDefinition(name = "Retries", description = "Immediate retries (0..5) of a block read that timed"
                + " out or lost its connection, each on a fresh connection, before the poll counts as failed.")
        int retries() default 0;

        @AttributeDefinition(name = "Lost after", description = "Consecutive failed polls before the meter is"
                + " reported lost.")
        int lostAfter() default 3;

        @AttributeDefinition(name = "Max registers per request", description = "1..125.")
        int maxRegistersPerRequest() default 125;

        @AttributeDefinition(name = "Max gap", description = "Unmapped registers one request may span to save"
                + " requests; 0 unless the meter answers reads of unmapped registers.")
        int maxGap() default 0;

        @AttributeDefinition(name = "Word order", description = "HIGH_FIRST or LOW_FIRST to override the profile;"
                + " empty keeps the profile's.")
        String wordOrder() default "";

        @AttributeDefinition(name = "Enabled")
        boolean enabled() default true;

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "Modbus meter {meterId} @ {host}:{port}";
    }

    /** @param consumer the best-ranked one: a pipeline that replaces it takes over every meter (they restart) */
    @Activate
    public ModbusMeterComponent(@Reference(policyOption = ReferencePolicyOption.GREEDY) SampleConsumer consumer,
            @Reference PollScheduler scheduler) {
        super("PM500 meters (Modbus TCP)", PID, LOG, Config.class, MeterSettings::of, s -> {
            MeterPoller p = new MeterPoller(s, consumer, Clock.systemUTC(), scheduler.loop(), scheduler.grid());
            p.start();
            return p;
        });
        this.scheduler = scheduler;
    }

    /** Closes the meters; their last samples reach the pipeline before this returns (it may go away next). */
    @Deactivate
    void stop() throws InterruptedException {
        close();
        scheduler.handedOver();
    }
}
