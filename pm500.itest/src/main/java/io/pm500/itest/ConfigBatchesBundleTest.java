package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.kit.config.ConfigBatches;
import io.pm500.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.slf4j.LoggerFactory;

/**
 * During a burst of configuration events, each batch of {@link ConfigBatches} waits ten times as long as the
 * previous one took (with Felix Config Admin): 5,000 meters provisioned at once had kept the audit log's batch reads
 * (a pass over every configuration each 200 ms) on most of a core, slowing the provisioning itself. Every change is
 * still handed over.
 */
@ExtendWith(FailureReport.class)
class ConfigBatchesBundleTest {
    private static final long HANDLER_MILLIS = 60;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;

    /** One handled batch: when it began and ended (nanoTime) and its size. */
    record Batch(long start, long end, int size) {
    }

    @Test
    void aBurstIsReadInBatchesThatLeaveTheCoreTenTimesAsLongAsTheyTake() throws Exception {
        String factory = "itest.batches-" + UUID.randomUUID();
        List<Batch> batches = new CopyOnWriteArrayList<>();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        ConfigBatches reader = new ConfigBatches(configAdmin, "(service.factoryPid=" + factory + ")",
                "itest-batches", batch -> {
                    long start = System.nanoTime();
                    seen.addAll(batch.keySet());
                    try {
                        Thread.sleep(HANDLER_MILLIS); // a batch that takes a while, as a pass over thousands does
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    batches.add(new Batch(start, System.nanoTime(), batch.size()));
                }, LoggerFactory.getLogger(ConfigBatchesBundleTest.class));
        ServiceRegistration<ConfigurationListener> listener = context.registerService(ConfigurationListener.class,
                event -> {
                    if (factory.equals(event.getFactoryPid())) {
                        reader.event(event);
                    }
                }, null);
        List<Configuration> made = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) { // a burst of 3 s
                Configuration c = configAdmin.getFactoryConfiguration(factory, "c" + i, "?");
                c.update(new Hashtable<>(Map.of("n", i)));
                made.add(c);
                Thread.sleep(50);
            }
            Await.until(Duration.ofSeconds(30), () -> seen.size() + " of 60 configurations handed over",
                    () -> seen.size() == 60);
        } finally {
            listener.unregister();
            reader.close();
            for (Configuration c : made) {
                c.delete();
            }
        }
        assertThat(batches).as("batches").hasSizeGreaterThan(1);
        for (int i = 1; i < batches.size(); i++) {
            Batch before = batches.get(i - 1);
            long took = before.end() - before.start();
            assertThat(batches.get(i).start() - before.end()).as("pause after batch %d of %s", i, batches)
                    .isGreaterThanOrEqualTo(10 * took);
        }
    }
}
