package io.pm500.driver.modbus.internal;

import io.pm500.driver.kit.PollGrid;
import io.pm500.kit.config.ConfigValues;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The Modbus driver's threads, shared by every meter: {@code ioThreads} {@link ModbusLoop}s, each polling a share of
 * the meters (dealt out in turn). A change of this configuration restarts every Modbus meter.
 */
@Component(service = PollScheduler.class, configurationPid = PollScheduler.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = PollScheduler.Config.class)
public final class PollScheduler {
    static final String PID = "pm500.driver.modbus.threads";
    private static final Logger LOG = LoggerFactory.getLogger(PollScheduler.class);

    @ObjectClassDefinition(name = "PM500 Modbus driver threads",
            description = "Threads shared by every Modbus meter; see docs/drivers.md, 'What a flaky meter costs'.")
    public @interface Config {
        @AttributeDefinition(name = "I/O threads", description = "Threads that poll the meters (1..16), each a"
                + " share of them; none ever waits on a meter, so one carries thousands of meters at 1 s.")
        int ioThreads() default 1;
    }

    private final List<ModbusLoop> loops = new ArrayList<>();
    /** One for all loops: blocks due together share the couriers' batches too. */
    private final PollGrid grid = new PollGrid();
    private final AtomicInteger dealt = new AtomicInteger();

    @Activate
    public PollScheduler(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        if (config.ioThreads() < 1 || config.ioThreads() > 16) {
            String message = PID + ": ioThreads " + config.ioThreads() + " must be 1..16; fix it in the console or "
                    + PID + ".cfg";
            LOG.error(message);
            throw new IllegalArgumentException(message);
        }
        try {
            for (int i = 1; i <= config.ioThreads(); i++) {
                loops.add(new ModbusLoop("pm500-modbus-io-" + i));
            }
        } catch (IOException e) {
            stop();
            throw new UncheckedIOException("Modbus driver: no selector (" + e.getMessage() + ")", e);
        }
    }

    /** The loop a new meter is polled on: each in turn. */
    ModbusLoop loop() {
        return loops.get(Math.floorMod(dealt.getAndIncrement(), loops.size()));
    }

    /** Where in their periods the meters' blocks are polled. */
    PollGrid grid() {
        return grid;
    }

    /** Waits until every loop has handed the samples delivered so far to the pipeline. */
    void handedOver() throws InterruptedException {
        for (ModbusLoop loop : loops) {
            loop.handedOver();
        }
    }

    @Deactivate
    void stop() {
        boolean interrupted = false;
        for (ModbusLoop loop : loops) {
            try {
                loop.close();
            } catch (InterruptedException e) {
                interrupted = true; // the other loops are stopped all the same
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
