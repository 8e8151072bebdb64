package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.status.SinkStatus;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.DemoProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The AWS IoT Core sink bundle in Felix (the SDK and the AWS Common Runtime wrapped, its JNI library loaded from the
 * bundle) behind the real pipeline, publishing over mutual TLS to a broker that requires client certificates, in its
 * own process: 20 bundle restarts leave no native resource, connection or thread behind.
 */
@ExtendWith(FailureReport.class)
class AwsSinkBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static Path tls;
    private static DemoProcess broker;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    /** The feeders' acknowledgement files: removed after each test. */
    @TempDir
    Path tmp;
    private final List<Configuration> configs = new ArrayList<>();

    @BeforeAll
    static void startBroker(@InjectBundleContext BundleContext context) throws Exception {
        Path data = Path.of(context.getProperty("pm500.data.dir"));
        tls = data.resolve("aws-tls");
        broker = DemoProcess.tlsBroker(Path.of(context.getProperty("pm500.demo.dir")), data.resolve("aws-broker"),
                tls);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @AfterEach
    void deleteConfigurations() throws Exception {
        for (Configuration c : configs) {
            c.delete();
        }
    }

    @Test
    void twentyRestartsLeaveNoNativeResourcesConnectionsOrThreads() throws Exception {
        Configuration sink = configAdmin.getFactoryConfiguration("pm500.sink.aws", "itest-aws", "?");
        configs.add(sink);
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("sink.name", "itest-aws");
        p.put("endpoint", "localhost");
        p.put("port", broker.port());
        p.put("thingName", "pm500-gateway");
        p.put("certFile", tls.resolve("pm500-gateway-cert.pem").toString());
        p.put("keyFile", tls.resolve("pm500-gateway-key.pem").toString());
        p.put("caFile", tls.resolve("ca.pem").toString());
        p.put("timeoutSeconds", 5);
        sink.update(p);
        configs.add(Feeders.start(configAdmin, "aws-feed", 50, Files.createTempFile(tmp, "acks", ".txt")));

        Await.until(TIMEOUT, () -> "sink status: " + status(), () -> status().delivered() > 20);
        // the runtime deletes its copy once loaded; the mapping stays
        assertThat(Files.readAllLines(Path.of("/proc/self/maps"))).as("the JNI library, loaded from data/aws-crt")
                .anyMatch(l -> l.contains(System.getProperty("aws.crt.lib.dir")) && l.contains("aws-crt-jni"));
        Bundle bundle = ComponentStates.bundle(context, "pm500.sink.aws");
        assertThat(nativeResources(bundle)).as("the runtime's resources, tracked while the sink runs").isNotEmpty();
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < 20; i++) {
            bundle.stop();
            int stop = i;
            Await.until(TIMEOUT, () -> "connections to the broker after stop #" + stop + ": "
                    + Sockets.establishedTo(broker.port()) + "; native resources: " + nativeResources(bundle),
                    () -> Sockets.establishedTo(broker.port()) == 0 && nativeResources(bundle).isEmpty());
            long before = status().delivered();
            bundle.start();
            Await.until(TIMEOUT, () -> "deliveries after start #" + stop + ": " + status(),
                    () -> status().delivered() > before);
        }
        assertThat(Thread.activeCount()).as("threads after 20 restarts").isLessThanOrEqualTo(threadsBefore + 2);
        assertThat(status().deadLettered()).isZero();
    }

    private SinkStatus status() {
        return StatusSources.sink(context, "itest-aws");
    }

    /** The runtime's own count of live native resources (tracked: aws.crt.debugnative=true), read in the bundle. */
    private static List<String> nativeResources(Bundle bundle) {
        List<String> live = new ArrayList<>();
        try {
            bundle.loadClass("software.amazon.awssdk.crt.CrtResource").getMethod("collectNativeResources",
                    Consumer.class).invoke(null, (Consumer<String>) live::add);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the AWS runtime's resources: " + e, e);
        }
        return live;
    }
}
