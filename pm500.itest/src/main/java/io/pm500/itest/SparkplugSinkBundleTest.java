package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.DemoProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The Sparkplug sink bundle in Felix (Paho and Tahu embedded) against a real MQTT 5 broker in its own process:
 * it goes online, and bundle restarts leave no thread or connection behind; a bad id refuses activation.
 */
@ExtendWith(FailureReport.class)
class SparkplugSinkBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static DemoProcess broker;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    @InjectService
    ServiceComponentRuntime scr;

    @BeforeAll
    static void startBroker(@InjectBundleContext BundleContext context) throws Exception {
        broker = DemoProcess.broker(Path.of(context.getProperty("pm500.demo.dir")),
                Path.of(context.getProperty("pm500.data.dir"), "broker"));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void goesOnlineAndTwentyRestartsLeaveNoThreadsOrConnections() throws Exception {
        Configuration c = configure("itest-sparkplug", "itest-node");
        try {
            awaitDelivered("itest-sparkplug");
            assertThat(Sockets.establishedTo(broker.port())).as("the sink's connection to the broker").isPositive();
            Bundle bundle = ComponentStates.bundle(context, "pm500.sink.sparkplug");
            int threadsBefore = Thread.activeCount();
            for (int i = 0; i < 20; i++) {
                bundle.stop();
                assertThat(sinkThreads()).as("Sparkplug/MQTT threads after stop #" + i).isEmpty();
                int stop = i;
                Await.until(TIMEOUT, () -> "connections to the broker after stop #" + stop,
                        () -> Sockets.establishedTo(broker.port()) == 0);
                bundle.start();
                awaitDelivered("itest-sparkplug");
            }
            assertThat(Thread.activeCount()).as("threads after 20 restarts").isLessThanOrEqualTo(threadsBefore + 2);
        } finally {
            c.delete();
        }
    }

    @Test
    void anIdWithASlashRefusesActivationWithTheReason() throws Exception {
        Configuration c = configure("itest-bad", "line/1");
        try {
            Await.until(TIMEOUT, () -> "the sink component's state: " + states(), () -> states().stream()
                    .anyMatch(d -> d.state == ComponentConfigurationDTO.FAILED_ACTIVATION
                            && d.failure != null && d.failure.contains("'line/1' contains '/'")));
            // SCR leaves the registration of a component that failed to activate, but nobody gets the object: the
            // pipeline never binds it, so no outbox fills for it
            Thread.sleep(1000);
            assertThat(StatusSources.sinks(context)).noneMatch(st -> st.sinkName().equals("itest-bad"));
        } finally {
            c.delete();
        }
    }

    private Configuration configure(String sinkName, String nodeId) throws Exception {
        Configuration c = configAdmin.getFactoryConfiguration("pm500.sink.sparkplug", sinkName, "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("sink.name", sinkName);
        p.put("edgeNodeId", nodeId);
        p.put("brokerUris", new String[] { broker.address() });
        p.put("connectTimeoutSeconds", 5);
        c.update(p);
        return c;
    }

    /** Delivers one reading through the registered sink: it returns normally only once the node is online. */
    private void awaitDelivered(String sinkName) throws Exception {
        Instant now = Instant.now();
        EnrichedReading r = new EnrichedReading(1, "itest-meter", "itest", "a", "feeder-1", "voltage.l1n", Phase.L1,
                "V", Value.of(230.0), Quality.GOOD, now, now);
        String[] last = { "no sink service" };
        Await.until(TIMEOUT, () -> "sink '" + sinkName + "' online: " + last[0], () -> {
            for (ServiceReference<Sink> ref : sinks(sinkName)) {
                Sink sink = context.getService(ref);
                try {
                    sink.deliver(List.of(r), false);
                    return true;
                } catch (SinkException e) {
                    last[0] = e.getMessage();
                } finally {
                    context.ungetService(ref);
                }
            }
            return false;
        });
    }

    private Collection<ServiceReference<Sink>> sinks(String sinkName) throws Exception {
        return context.getServiceReferences(Sink.class, "(" + Sink.NAME + "=" + sinkName + ")");
    }

    private List<ComponentConfigurationDTO> states() {
        return ComponentStates.of(context, scr, "pm500.sink.sparkplug");
    }

    private static List<String> sinkThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("pm500-sparkplug-") || n.startsWith("MQTT")).toList();
    }
}
