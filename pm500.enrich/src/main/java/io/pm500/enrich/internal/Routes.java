package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.status.SinkStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route per sink name — its outbox and its courier — with its settings (a route configuration, or the
 * defaults), and the outbox that holds readings while no route exists at all (a first start, before the
 * configuration is bound), which the first route takes over.
 */
final class Routes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Routes.class);

    private final Outboxes store;
    private final DeadLetters deadLetters;
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Map<String, RouteSettings> routeConfigs = new ConcurrentHashMap<>();
    private volatile long defaultMaxBytes;
    /** Appends share it; creating a route takes it alone, so no append sees a half-made hand-over. */
    private final ReadWriteLock routing = new ReentrantReadWriteLock();
    /** Readings taken while no route exists; guarded by routing. */
    private volatile Outbox unrouted;

    /** A route for every outbox the store holds, so those keep filling at once. */
    Routes(Outboxes store, DeadLetters deadLetters, long defaultMaxBytes) {
        this.store = store;
        this.deadLetters = deadLetters;
        this.defaultMaxBytes = defaultMaxBytes;
        List<String> names = store.sinkNames();
        if (names.isEmpty() && store.hasUnrouted()) {
            unrouted = store.open(Outboxes.UNROUTED, defaultMaxBytes);
        }
        for (String name : names) {
            route(name);
        }
    }

    void defaultMaxBytes(long bytes) {
        defaultMaxBytes = bytes;
        routes.forEach((name, route) -> route.apply(settingsFor(name)));
    }

    /**
     * Appends one sample's readings to every route. With no route at all (a first start, before the routes and
     * sinks are bound) they wait in the {@link Outboxes#UNROUTED} outbox, which the first route takes over.
     */
    void append(List<EnrichedReading> readings, long now) {
        if (readings.isEmpty()) {
            return;
        }
        routing.readLock().lock();
        try {
            if (routes.isEmpty()) {
                hold(readings, now);
                return;
            }
            // encoded once for all the routes that take every reading; the encoding lives in this thread's buffer,
            // so a route's own selection, encoded there, means encoding again for the next
            EntryCodec.Encoded all = null;
            for (Route route : routes.values()) {
                List<EnrichedReading> selected = route.select(readings);
                if (selected == readings) {
                    if (all == null) {
                        all = EntryCodec.encode(readings, now);
                    }
                    route.append(all);
                } else if (!selected.isEmpty()) {
                    route.append(EntryCodec.encode(selected, now));
                    all = null;
                }
            }
        } finally {
            routing.readLock().unlock();
        }
    }

    private void hold(List<EnrichedReading> readings, long now) {
        Outbox o = unrouted;
        if (o == null) {
            synchronized (this) {
                o = unrouted;
                if (o == null) {
                    o = store.open(Outboxes.UNROUTED, defaultMaxBytes);
                    unrouted = o;
                    LOG.warn("Readings of meter {} are kept in outbox '{}' until a sink or sink route exists; the"
                            + " first one gets them", readings.get(0).meterId(), Outboxes.UNROUTED);
                }
            }
        }
        o.append(EntryCodec.encode(readings, now));
    }

    /** Once a second: delivered/s of every sink. */
    void sampleRates() {
        routes.values().forEach(r -> r.sampleRate());
    }

    /**
     * The route of a sink name, created (outbox opened, courier started) on first use. The first route takes over
     * the readings held while there was none.
     */
    Route route(String sinkName) {
        Route existing = routes.get(sinkName);
        if (existing != null) {
            return existing;
        }
        routing.writeLock().lock();
        try {
            return routes.computeIfAbsent(sinkName, name -> {
                if (routes.isEmpty() && unrouted != null) {
                    adoptUnrouted(name);
                }
                RouteSettings settings = settingsFor(name);
                Outbox outbox = store.open(name, settings.maxBytes());
                Courier courier = new Courier(outbox, deadLetters, settings.batchSize());
                courier.start();
                if (outbox.readings() > 0) {
                    LOG.info("Outbox of sink '{}': {} readings ({} bytes) waiting", name, outbox.readings(),
                            outbox.bytes());
                }
                return new Route(settings, outbox, courier);
            });
        } finally {
            routing.writeLock().unlock();
        }
    }

    private void adoptUnrouted(String sinkName) {
        long held = unrouted.readings();
        try {
            store.adoptUnrouted(sinkName);
            unrouted = null;
            LOG.info("Sink '{}' takes the {} readings taken before any sink or route existed", sinkName, held);
        } catch (java.io.IOException e) {
            LOG.error("Outbox '{}' could not be handed to sink '{}' ({}); its {} readings stay in"
                    + " data/pipeline/outboxes/{}", Outboxes.UNROUTED, sinkName, e.toString(), held,
                    Outboxes.UNROUTED);
        }
    }

    Route existingRoute(String sinkName) {
        return routes.get(sinkName);
    }

    /** A route configuration appeared; false when the sink name already has one. */
    boolean configureRoute(RouteSettings s) {
        if (routeConfigs.putIfAbsent(s.sinkName(), s) != null) {
            return false;
        }
        route(s.sinkName()).apply(s);
        return true;
    }

    void removeRouteConfig(RouteSettings s) {
        if (routeConfigs.remove(s.sinkName(), s)) {
            Route r = routes.get(s.sinkName());
            if (r != null) {
                r.apply(settingsFor(s.sinkName()));
            }
        }
    }

    private RouteSettings settingsFor(String sinkName) {
        RouteSettings configured = routeConfigs.get(sinkName);
        return configured != null ? configured : RouteSettings.defaults(sinkName, defaultMaxBytes);
    }

    /** Deletes the outboxes of these sink names, unless a sink or route of that name exists. */
    void retire(String[] names, Set<String> boundSinks) {
        for (String name : names) {
            Route r = routes.get(name);
            if (r == null || boundSinks.contains(name) || routeConfigs.containsKey(name)) {
                continue;
            }
            routes.remove(name);
            r.stop();
            long readings = r.queued();
            try {
                store.delete(name);
                LOG.warn("Outbox of retired sink '{}' deleted with its {} readings", name, readings);
            } catch (java.io.IOException e) {
                LOG.error("Outbox of retired sink '{}' could not be deleted: {}; delete data/pipeline/outboxes/{}"
                        + " while the gateway is stopped", name, e.toString(), name);
            }
        }
    }

    List<SinkStatus> sinks() {
        List<SinkStatus> out = new ArrayList<>(routes.size());
        routes.values().forEach(r -> out.add(r.status()));
        out.sort((a, b) -> a.sinkName().compareTo(b.sinkName()));
        return out;
    }

    @Override
    public void close() {
        routes.values().forEach(r -> r.stop());
    }
}
