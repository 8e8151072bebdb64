package io.pm500.driver.modbus.internal;

import io.pm500.driver.kit.PollThreads;
import io.pm500.kit.config.ConfigValues;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Modbus driver's threads, shared by every meter ({@link PollThreads}): one timer, the fast lane for the
 * blocking j2mod transactions of meters that answer promptly, and the slow lane for meters that time out, are not
 * connected or reply late. A change of this configuration restarts every Modbus meter.
 */
@Component(service = PollScheduler.class, configurationPid = PollScheduler.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = PollScheduler.Config.class)
public final class PollScheduler {
    static final String PID = "pm500.driver.modbus.threads";
    private static final Logger LOG = LoggerFactory.getLogger(PollScheduler.class);

    @ObjectClassDefinition(name = "PM500 Modbus driver threads",
            description = "Threads shared by every Modbus meter. The defaults suit up to a few hundred meters;"
                    + " see docs/drivers.md, 'What a flaky meter costs'.")
    public @interface Config {
        @AttributeDefinition(name = "Fast lane threads", description = "Transactions of promptly answering meters"
                + " in flight at once (1..64).")
        int ioThreads() default 4;

        @AttributeDefinition(name = "Slow lane threads", description = "Polls of meters that time out, are not"
                + " connected or reply late, blocked at once (1..1024); made when needed, ended when idle. More"
                + " slow meters than this delay each other, never a prompt meter.")
        int slowLaneThreads() default 32;
    }

    private final PollThreads threads;

    @Activate
    public PollScheduler(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        if (config.ioThreads() < 1 || config.ioThreads() > 64 || config.slowLaneThreads() < 1
                || config.slowLaneThreads() > 1024) {
            String message = PID + ": ioThreads " + config.ioThreads() + " must be 1..64 and slowLaneThreads "
                    + config.slowLaneThreads() + " 1..1024; fix them in the console or " + PID + ".cfg";
            LOG.error(message);
            throw new IllegalArgumentException(message);
        }
        threads = new PollThreads("modbus", config.ioThreads(), config.slowLaneThreads());
    }

    PollThreads threads() {
        return threads;
    }

    @Deactivate
    void stop() throws InterruptedException {
        threads.close();
    }
}
