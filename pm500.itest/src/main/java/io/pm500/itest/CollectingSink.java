package io.pm500.itest;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.testkit.Await;
import java.time.Duration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** A sink registered by a test that keeps every reading; closing it unregisters it and retires its outbox. */
final class CollectingSink implements AutoCloseable {
    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;
    private final String name;
    private final List<EnrichedReading> got = new CopyOnWriteArrayList<>();
    private final ServiceRegistration<Sink> registration;

    CollectingSink(BundleContext context, ConfigurationAdmin configAdmin, String name) {
        this.context = context;
        this.configAdmin = configAdmin;
        this.name = name;
        registration = context.registerService(Sink.class, (batch, historical) -> got.addAll(batch),
                new Hashtable<>(Map.of(Sink.NAME, name)));
    }

    List<EnrichedReading> readings(String meterId, String metric) {
        return got.stream().filter(r -> r.meterId().equals(meterId) && r.metric().equals(metric)).toList();
    }

    List<EnrichedReading> readings(String meterId) {
        return got.stream().filter(r -> r.meterId().equals(meterId)).toList();
    }

    /** The meter's GOOD values by metric, the last to arrive of each. */
    Map<String, Value> goodValues(String meterId) {
        Map<String, Value> values = new HashMap<>();
        readings(meterId).stream().filter(r -> r.quality() == Quality.GOOD)
                .forEach(r -> values.put(r.metric(), r.value()));
        return values;
    }

    @Override
    public void close() throws Exception {
        registration.unregister();
        Configuration pipeline = configAdmin.getConfiguration("pm500.pipeline", "?");
        pipeline.update(new Hashtable<>(Map.of("retiredSinks", new String[] { name })));
        Await.until(Duration.ofSeconds(20), () -> "outbox of " + name + " left",
                () -> StatusSources.sinks(context).stream().noneMatch(s -> s.sinkName().equals(name)));
        pipeline.delete();
    }
}
