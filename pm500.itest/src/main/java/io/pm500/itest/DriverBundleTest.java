package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.testkit.Await;
import io.pm500.testkit.pipeline.DriverEvents;
import java.time.Duration;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * A driver bundle in Felix, polling the simulator bundle's meter; bundle restarts leave nothing behind. One subclass
 * per driver.
 */
@ExtendWith(FailureReport.class)
abstract class DriverBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    @InjectService
    ServiceComponentRuntime scr;
    /** Outranks the pipeline, so the driver configured below hands its samples here. */
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private ServiceRegistration<SampleConsumer> consumer;
    private Configuration meter;
    private int port;

    /** The driver's bundle symbolic name, which is also its meters' factory PID. */
    abstract String driver();

    /** The driver's thread names start with this. */
    abstract String threadPrefix();

    /** The meter's configuration, for the simulated meter whose Modbus port is {@code base} (EtherNet/IP: +1). */
    abstract Dictionary<String, Object> meter(int base);

    /** The port the driver connects to, of the simulated meter whose Modbus port is {@code base}. */
    abstract int meterPort(int base);

    /** Blocks the configuration polls: a periodic one first, then a once-per-connection one. */
    abstract String[] blocks();

    @BeforeEach
    void start() throws Exception {
        consumer = context.registerService(SampleConsumer.class, new DriverEvents(samples::add),
                new Hashtable<>(java.util.Map.of(org.osgi.framework.Constants.SERVICE_RANKING, Integer.MAX_VALUE)));
        int base = SimulatedMeters.freePortPair();
        port = meterPort(base);
        SimulatedMeters.configure(configAdmin, scr, 1, base);
        meter = configAdmin.getFactoryConfiguration(driver(), "itest", "?");
        Dictionary<String, Object> p = meter(base);
        p.put("meterId", "itest-meter");
        p.put("host", "127.0.0.1");
        p.put("timeoutMillis", 1000);
        meter.update(p);
    }

    @AfterEach
    void stop() throws Exception {
        meter.delete();
        configAdmin.getConfiguration("pm500.simulator", "?").delete();
        consumer.unregister();
    }

    /** Waits for a good sample of the block among all received so far (blocks arrive in any order). */
    private Sample awaitOk(String block) throws Exception {
        Await.until(TIMEOUT, () -> "no OK sample of block " + block + "; driver components: " + driverComponents(),
                () -> samples.stream().anyMatch(s -> s.status() == AcquisitionStatus.OK && s.blockId().equals(block)));
        return samples.stream().filter(s -> s.status() == AcquisitionStatus.OK && s.blockId().equals(block))
                .findFirst().orElseThrow();
    }

    @Test
    void pollsTheSimulatedMeterAndReportsItsStatus() throws Exception {
        Sample first = awaitOk(blocks()[0]);
        assertThat(first.meterId()).isEqualTo("itest-meter");
        assertThat(first.points()).isNotEmpty();
        for (String block : blocks()) {
            awaitOk(block);
        }
        Await.until(TIMEOUT, () -> "status of itest-meter: " + status(), () -> status() != null
                && status().state() == ConnectionState.CONNECTED && status().polls() >= 3);
        assertThat(status().endpoint()).startsWith("127.0.0.1:");
    }

    @Test
    void fiftyBundleRestartsLeaveNoThreadsOrSocketsAndPollingResumes() throws Exception {
        Bundle driver = Arrays.stream(context.getBundles())
                .filter(b -> driver().equals(b.getSymbolicName())).findFirst().orElseThrow();
        awaitOk(blocks()[0]);
        assertThat(connectionsToMeter()).as("the driver's connection to the meter, as /proc/net/tcp shows it")
                .isPositive();
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < 50; i++) {
            driver.stop();
            assertThat(driverThreads()).as("driver threads after stop #" + i).isZero();
            int stop = i;
            Await.until(TIMEOUT, () -> "connections to the meter after stop #" + stop + ": " + connectionsToMeter(),
                    () -> connectionsToMeter() == 0);
            samples.clear();
            driver.start();
            awaitOk(blocks()[0]);
        }
        assertThat(Thread.activeCount()).as("threads after 50 restarts").isLessThanOrEqualTo(threadsBefore + 2);
    }

    private long connectionsToMeter() {
        return Sockets.establishedTo(port);
    }

    private String driverComponents() {
        StringBuilder b = new StringBuilder();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (d.bundle.symbolicName.equals(driver())) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    b.append(d.name).append(" state=").append(c.state).append(" failure=").append(c.failure)
                            .append(" unsatisfied=").append(Arrays.stream(c.unsatisfiedReferences)
                                    .map(r -> r.name).toList()).append("; ");
                }
            }
        }
        return b.toString();
    }

    private long driverThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith(threadPrefix())).count();
    }

    private MeterStatus status() {
        return StatusSources.meters(context).stream().filter(m -> m.meterId().equals("itest-meter")).findFirst()
                .orElse(null);
    }
}
