package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.Sample;
import io.pm500.api.status.ConnectionState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline without its OSGi wiring: enrichment state, the outbox store and one route (outbox + courier) per
 * sink name. {@link PipelineComponent} feeds it configuration and services; benchmarks drive it directly.
 */
final class Pipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private final Outboxes store;
    private final Clock clock;
    private final LongSupplier nanos;
    private final Map<String, MeterState> meters = new ConcurrentHashMap<>();
    private final Routes routes;
    private volatile Enrichment enrichment;
    private final Plans plans = new Plans();
    /** Meters some driver reports LOST, with those drivers. */
    private final Map<String, Set<String>> lostBy = new ConcurrentHashMap<>();
    private final LongAdder[] byQuality = new LongAdder[Quality.values().length];

    /** Opens the store under {@code dir} and a route for every outbox it holds, so those keep filling at once. */
    Pipeline(Path dir, long syncIntervalMillis, Enrichment enrichment, long defaultMaxBytes, Clock clock) {
        this(dir, syncIntervalMillis, enrichment, defaultMaxBytes, clock, System::nanoTime);
    }

    /** @param nanos the monotonic clock that times samples' arrival (staleness) */
    Pipeline(Path dir, long syncIntervalMillis, Enrichment enrichment, long defaultMaxBytes, Clock clock,
            LongSupplier nanos) {
        this.nanos = nanos;
        this.enrichment = enrichment;
        this.clock = clock;
        Arrays.setAll(byQuality, q -> new LongAdder());
        store = new Outboxes(dir, syncIntervalMillis);
        routes = new Routes(store, new DeadLetters(dir.resolve("dead-letter")), defaultMaxBytes);
    }

    /** The routes: one per sink name (outbox + courier), the readings' destinations. */
    Routes routes() {
        return routes;
    }

    Enrichment enrichment() {
        return enrichment;
    }

    void enrichment(Enrichment e) {
        enrichment = e;
    }

    void syncIntervalMillis(long millis) {
        store.syncIntervalMillis(millis);
    }

    /**
     * A driver's plan for a meter: the blocks' intervals apply at once (they decide when values go STALE) and stay
     * after the driver withdraws. True when the catalogue changed.
     */
    boolean announce(MeterPlan plan) {
        boolean changed = plans.announce(plan);
        MeterState meter = meters.get(plan.meterId());
        if (meter != null) {
            synchronized (meter) {
                plan.blocks().forEach((blockId, interval) -> {
                    MeterState.Block block = meter.blocks.get(blockId);
                    if (block != null) {
                        block.reportedIntervalNanos = interval.toNanos();
                    }
                });
            }
        }
        return changed;
    }

    /** The driver no longer reads the meter; its blocks keep their intervals, so their values go STALE. */
    boolean withdraw(String meterId, String driver) {
        connection(meterId, driver, ConnectionState.DISABLED);
        return plans.withdraw(meterId, driver);
    }

    /**
     * A driver's connection to a meter changed. A meter that has just become lost (to any of its drivers) gets the
     * values it reads once per connection (its identity) stamped STALE, once: they describe a device nobody can see
     * now, and a sink that tells hosts which devices are alive must see every value of a lost meter go STALE.
     */
    void connection(String meterId, String driver, ConnectionState state) {
        boolean[] becameLost = new boolean[1];
        if (state == ConnectionState.LOST) {
            lostBy.compute(meterId, (id, drivers) -> {
                becameLost[0] = drivers == null;
                Set<String> next = drivers == null ? new HashSet<>() : drivers;
                next.add(driver);
                return next;
            });
        } else {
            lostBy.computeIfPresent(meterId, (id, drivers) -> {
                drivers.remove(driver);
                return drivers.isEmpty() ? null : drivers;
            });
        }
        MeterState meter = becameLost[0] ? meters.get(meterId) : null;
        if (meter != null) {
            Routes.Staged staged = routes.stage(); // before the meter's monitor, as every appender takes them
            try {
                staleReadOnceBlocks(meter, staged);
                staged.write();
            } finally {
                staged.end();
            }
        }
    }

    Plans plans() {
        return plans;
    }

    /** The meter's model: its asset and the rules in force, with the profile its drivers announced. */
    MeterModel model(String meterId) {
        return enrichment.model(meterId, plans.profile(meterId));
    }

    private void staleReadOnceBlocks(MeterState meter, Routes.Staged staged) {
        synchronized (meter) {
            for (Map.Entry<String, MeterState.Block> e : meter.blocks.entrySet()) {
                MeterState.Block block = e.getValue();
                if (block.reportedIntervalNanos == 0 && !block.stale && block.lastOk != null) {
                    stamp(meter, e.getKey(), block, staged);
                    LOG.info("Meter {} is lost: the values of block {}, read once per connection, are STALE until"
                            + " it reconnects", meter.meterId, e.getKey());
                }
            }
        }
    }

    /** The block's last values stamped STALE now, staged for every route; caller holds the meter's monitor. */
    private void stamp(MeterState meter, String blockId, MeterState.Block block, Routes.Staged staged) {
        block.stale = true;
        MeterModel model = model(meter.meterId);
        int capacity = Enricher.capacity(model, blockId, 0, block.lastOk);
        List<EnrichedReading> readings = Enricher.stale(model, blockId, block.lastOk,
                new Enricher.Sequence(store.reserve(capacity), capacity), meter.distinct(clock.instant()));
        block.newest = readings;
        count(readings);
        staged.add(readings, clock.millis());
    }

    /** The newest reading of every metric of a meter, block by block; empty for a meter not seen. */
    List<EnrichedReading> newest(String meterId) {
        MeterState meter = meters.get(meterId);
        if (meter == null) {
            return List.of();
        }
        List<EnrichedReading> out = new ArrayList<>();
        synchronized (meter) {
            meter.blocks.values().forEach(b -> out.addAll(b.newest));
        }
        return out;
    }

    /** One sample: {@link #accept(List)} of it. */
    void accept(Sample sample) {
        accept(List.of(sample));
    }

    /**
     * Enriches the samples in order and appends their readings to every route, one write per outbox for all of them;
     * returns once they are written (to the operating system, and to the disk too when the sync interval is 0). A
     * sample that cannot be enriched is not taken, the others are: the exception thrown after their write names it
     * (the sample's own exception when it is the only one).
     */
    void accept(List<Sample> samples) {
        List<RuntimeException> refused = null;
        Routes.Staged staged = routes.stage();
        try {
            long now = clock.millis();
            for (int i = 0; i < samples.size(); i++) {
                try {
                    enrich(samples.get(i), staged, now);
                } catch (RuntimeException e) {
                    refused = refused == null ? new ArrayList<>() : refused;
                    refused.add(new IllegalArgumentException("meter " + samples.get(i).meterId() + ", block "
                            + samples.get(i).blockId() + ": " + e, e));
                }
            }
            staged.write();
        } finally {
            staged.end();
        }
        if (refused != null) {
            if (samples.size() == 1) {
                throw (RuntimeException) refused.get(0).getCause();
            }
            IllegalArgumentException e = new IllegalArgumentException(refused.size() + " of " + samples.size()
                    + " samples not taken: " + refused.stream().map(Throwable::getMessage).toList());
            refused.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Enriches a sample and stages its readings for every route. */
    private void enrich(Sample sample, Routes.Staged staged, long now) {
        MeterState meter = meters.computeIfAbsent(sample.meterId(), MeterState::new);
        synchronized (meter) {
            Instant at = meter.distinct(sample.acquiredAt());
            if (at != sample.acquiredAt()) {
                sample = new Sample(sample.meterId(), sample.blockId(), at, sample.status(), sample.detail(),
                        sample.points());
            }
            MeterState.Block block = meter.block(sample.blockId());
            if (block.reportedIntervalNanos < 0) {
                block.reportedIntervalNanos = plans.intervalNanos(sample.meterId(), sample.blockId());
            }
            block.arrived(nanos.getAsLong());
            MeterModel model = model(sample.meterId());
            int capacity = Enricher.capacity(model, sample.blockId(), sample.points().size(), block.lastOk);
            Enricher.Sequence sequence = new Enricher.Sequence(store.reserve(capacity), capacity);
            List<EnrichedReading> readings = Enricher.enrich(model, sample, lostBy.containsKey(sample.meterId()),
                    block.lastOk, sequence, clock.instant());
            if (sample.status().isOk()) {
                block.lastOk = sample;
            }
            block.newest = readings;
            count(readings);
            staged.add(readings, now); // under the meter's monitor: report-by-exception sees a meter's samples in order
        }
    }

    /** Blocks that stopped producing samples get their last values stamped STALE, once. */
    void markStale() {
        int factor = enrichment.settings().staleFactor();
        Routes.Staged staged = routes.stage();
        try {
            for (MeterState meter : meters.values()) {
                synchronized (meter) {
                    long now = nanos.getAsLong();
                    for (Map.Entry<String, MeterState.Block> e : meter.blocks.entrySet()) {
                        MeterState.Block block = e.getValue();
                        if (block.overdue(now, factor)) {
                            stamp(meter, e.getKey(), block, staged);
                            LOG.info("Meter {}: no sample of block {} for {} poll intervals; its values are STALE",
                                    meter.meterId, e.getKey(), factor);
                        }
                    }
                }
            }
            staged.write();
        } finally {
            staged.end();
        }
    }

    private void count(List<EnrichedReading> readings) {
        for (int i = 0; i < readings.size(); i++) {
            byQuality[readings.get(i).quality().ordinal()].increment();
        }
    }

    /** Readings made since the pipeline started, by quality. */
    Map<Quality, Long> readings() {
        Map<Quality, Long> out = new EnumMap<>(Quality.class);
        for (Quality q : Quality.values()) {
            long n = byQuality[q.ordinal()].sum();
            if (n > 0) {
                out.put(q, n);
            }
        }
        return out;
    }

    @Override
    public void close() {
        routes.close();
        store.close();
    }
}
