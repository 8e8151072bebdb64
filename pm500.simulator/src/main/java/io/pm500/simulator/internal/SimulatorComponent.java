package io.pm500.simulator.internal;

import io.pm500.kit.config.ConfigValues;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import io.pm500.simulator.Simulator;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the simulator inside the gateway (demo, integration tests) when configuration {@value #PID} exists.
 */
@Component(configurationPid = SimulatorComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = SimulatorComponent.Config.class)
public final class SimulatorComponent {
    static final String PID = "pm500.simulator";
    static final int MAX_METERS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(SimulatorComponent.class);

    @ObjectClassDefinition(name = "PM500 meter simulator",
            description = "Simulated PowerMonitor 500 meters speaking Modbus TCP and EtherNet/IP, for demos and tests.")
    public @interface Config {
        @AttributeDefinition(name = "Meters", description = "How many simulated meters (1 to 1000).")
        int meters() default 3;

        @AttributeDefinition(name = "Host", description = "Address to listen on; keep it on loopback.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "Base port", description = "Meter i listens on base + 2i (Modbus) and"
                + " base + 2i + 1 (EtherNet/IP); 0 gives every meter free ports.")
        int basePort() default 15020;

        @AttributeDefinition(name = "Seed", description = "Makes the meters' numbers reproducible.")
        long seed() default 1;

        @AttributeDefinition(name = "Device profile", description = "Built-in profile name (pm500) or the path"
                + " of a profile file.")
        String profile() default DeviceProfiles.PM500;
    }

    private Simulator simulator;

    @Activate
    public SimulatorComponent(Map<String, Object> properties) throws Exception {
        configure(properties);
    }

    @Modified
    synchronized void configure(Map<String, Object> properties) throws Exception {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        if (config.meters() < 1 || config.meters() > MAX_METERS) {
            throw new IllegalArgumentException("pm500.simulator: meters is " + config.meters() + "; set 1 to "
                    + MAX_METERS);
        }
        if (config.basePort() != 0 && (config.basePort() < 1024 || config.basePort() + 2 * config.meters() > 65_536)) {
            throw new IllegalArgumentException("pm500.simulator: basePort " + config.basePort() + " with "
                    + config.meters() + " meters leaves 1024..65535; set 0 for free ports or a lower base");
        }
        try {
            var profile = DeviceProfiles.resolve(config.profile());
            stop();
            simulator = new Simulator(profile, config.meters(), config.host(), config.basePort(), config.seed(),
                    System::nanoTime);
        } catch (ProfileException e) {
            throw new IllegalArgumentException("pm500.simulator: " + e.getMessage(), e);
        }
        LOG.info("Simulator running {} meters on {}: Modbus port {}, EtherNet/IP port {} for meter 0",
                config.meters(), config.host(), simulator.modbusPort(0), simulator.enipPort(0));
    }

    @Deactivate
    synchronized void stop() {
        if (simulator != null) {
            simulator.close();
            simulator = null;
        }
    }
}
