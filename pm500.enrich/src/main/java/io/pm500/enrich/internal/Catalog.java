package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterAsset;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.sink.Sink;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's catalogue of meters (the drivers' plans, the assets, the models), handed to every sink; when it
 * changes, every sink is handed it again, once per burst of changes, on the pipeline's own thread — never on the
 * poll thread whose announcement changed it.
 */
final class Catalog implements MeterCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

    private final Pipeline pipeline;
    private final Executor notifier;
    private final Supplier<Map<String, Sink>> sinks;
    private final AtomicBoolean pending = new AtomicBoolean();

    /**
     * @param notifier runs the hand-overs after a change (one thread, so sinks hear changes in order)
     * @param sinks    the bound sinks by name
     */
    Catalog(Pipeline pipeline, Executor notifier, Supplier<Map<String, Sink>> sinks) {
        this.pipeline = pipeline;
        this.notifier = notifier;
        this.sinks = sinks;
    }

    @Override
    public List<String> meterIds() {
        return pipeline.plans().meters();
    }

    @Override
    public List<MeterAsset> assets() {
        List<MeterAsset> out = new ArrayList<>();
        for (AssetInfo a : pipeline.enrichment().assets().values()) {
            out.add(new MeterAsset(a.meterId(), a.asset(), a.site(), a.area(), a.description(), a.tags()));
        }
        out.sort(Comparator.comparing(MeterAsset::meterId));
        return out;
    }

    /** From the blocks the meter's drivers announced they read, and the meter's model (profile, units, derived). */
    @Override
    public List<MetricInfo> metrics(String meterId) {
        Set<String> blocks = pipeline.plans().blocks(meterId).keySet();
        return blocks.isEmpty() ? List.of() : pipeline.model(meterId).catalog(blocks);
    }

    @Override
    public List<EnrichedReading> newest(String meterId) {
        return pipeline.newest(meterId);
    }

    /** Hands the catalogue to one sink (at its binding, and after changes); a sink that throws is only logged. */
    void handTo(String name, Sink sink) {
        try {
            sink.catalog(this);
        } catch (RuntimeException e) {
            LOG.error("Sink '{}' failed to take the meter catalogue: {}", name, e.toString(), e);
        }
    }

    /** Something the catalogue shows changed: every bound sink is handed it again, soon. */
    void changed() {
        if (pending.compareAndSet(false, true)) {
            try {
                notifier.execute(() -> {
                    pending.set(false);
                    sinks.get().forEach(this::handTo);
                });
            } catch (RejectedExecutionException e) {
                pending.set(false); // the pipeline is stopping; its sinks are unbound with it
            }
        }
    }
}
