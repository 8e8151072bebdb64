package io.pm500.driver.cip.internal;

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
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PowerMonitor 500s read over EtherNet/IP: a factory configuration {@code pm500.driver.cip~<name>} per meter,
 * handed to this component's {@link ManagedServiceFactory} (see {@link MeterConfigurations} for why not a component
 * per meter). Each configured assembly is polled at its own fixed rate (in a slot of the poll grid), on the driver's
 * shared threads.
 */
@Component(configurationPid = CipMeterComponent.PID, configurationPolicy = ConfigurationPolicy.IGNORE,
        service = { ManagedServiceFactory.class, StatusSource.class }, immediate = true,
        property = Constants.SERVICE_PID + "=" + CipMeterComponent.PID)
@Designate(ocd = CipMeterComponent.Config.class, factory = true)
public final class CipMeterComponent extends MeterConfigurations<CipMeterComponent.Config, CipSettings> {
    static final String PID = "pm500.driver.cip";
    private static final Logger LOG = LoggerFactory.getLogger(CipMeterComponent.class);

    @ObjectClassDefinition(name = "PM500 meter (EtherNet/IP)",
            description = "One PowerMonitor 500 read over EtherNet/IP. Add one configuration per meter.")
    public @interface Config {
        @AttributeDefinition(name = "Meter id", description = "Unique id of the meter in this gateway.")
        String meterId();

        @AttributeDefinition(name = "Host", description = "The meter's IP address or host name.")
        String host();

        @AttributeDefinition(name = "Port", description = "EtherNet/IP TCP port.")
        int port() default 44818;

        @AttributeDefinition(name = "Device profile", description = "Built-in profile (pm500) or the path of a"
                + " profile file.")
        String profile() default DeviceProfiles.PM500;

        @AttributeDefinition(name = "Block intervals", description = "<block>=<milliseconds> per profile assembly"
                + " to poll (in io modes: its RPI); 0 = once per connection (in io modes too: an explicit read); at"
                + " least 50 ms otherwise. Blocks not listed are not read (assembly.103-106, maximum and demand"
                + " values, are optional).")
        String[] blockIntervals() default { "assembly.100=0", "assembly.101=1000", "assembly.102=1000",
                "assembly.107=5000", "assembly.108=1000" };

        @AttributeDefinition(name = "Messaging", description = "connected: Class 3 messages over one CIP"
                + " connection (fewer bytes per poll, loss detected sooner; uses 1 of the meter's 18 connections);"
                + " unconnected: UCMM requests, no CIP connection; io-input-only: Class 1, the meter produces each"
                + " listed assembly at its interval (the RPI) over UDP, one connection per assembly;"
                + " io-listen-only: Class 1 beside a PLC's connection that owns the assembly (refused while there is"
                + " none). See docs/drivers.md.", options = {
                        @Option(label = "connected", value = "connected"),
                        @Option(label = "unconnected", value = "unconnected"),
                        @Option(label = "io-input-only", value = "io-input-only"),
                        @Option(label = "io-listen-only", value = "io-listen-only") })
        String messaging() default "connected";

        @AttributeDefinition(name = "Class 1 timeout multiplier", description = "io modes: a connection without"
                + " data for RPI × this (4, 8 … 512) is lost and opened again; the meter applies the same to the"
                + " gateway's heartbeats.")
        int ioTimeoutMultiplier() default 4;

        @AttributeDefinition(name = "Class 1 multicast", description = "io modes: ask the meter to produce T->O"
                + " multicast, shared with the other connections to the same assembly (the PLC's: what listen-only"
                + " usually listens to; the profile must allow it); off: point-to-point to the gateway only.")
        boolean ioMulticast() default false;

        @AttributeDefinition(name = "Timeout (ms)", description = "Connect and reply timeout.")
        int timeoutMillis() default 1000;

        @AttributeDefinition(name = "Lost after", description = "Consecutive failed polls before the meter is"
                + " reported lost.")
        int lostAfter() default 3;

        @AttributeDefinition(name = "Identity check", description = "error: a device whose vendor or device type"
                + " is not the profile's is not polled; warn: it is polled and the mismatch logged.", options = {
                        @Option(label = "error", value = "error"), @Option(label = "warn", value = "warn") })
        String identityCheck() default "error";

        @AttributeDefinition(name = "Enabled")
        boolean enabled() default true;

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "EtherNet/IP meter {meterId} @ {host}:{port}";
    }

    /** @param consumer the best-ranked one: a pipeline that replaces it takes over every meter (they restart) */
    @Activate
    public CipMeterComponent(@Reference(policyOption = ReferencePolicyOption.GREEDY) SampleConsumer consumer,
            @Reference CipThreads threads, @Reference Originator originator, @Reference IoPort ioPort) {
        super("PM500 meters (EtherNet/IP)", PID, LOG, Config.class, CipSettings::of, s -> {
            CipPoller p = new CipPoller(s, consumer, threads, originator, ioPort, Clock.systemUTC());
            p.start(threads.poll(), s.blocks());
            return p;
        });
    }

    @Deactivate
    void stop() {
        close();
    }
}
