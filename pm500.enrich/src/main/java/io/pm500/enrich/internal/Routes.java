package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.status.SinkStatus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
    /** Bytes of one route's staged records from which they are written without waiting for the run's end. */
    static final int WRITE_AT = 64 << 10;
    /** Staged runs not in use, kept for their buffers (one per thread appending at once); no thread holds one. */
    private final ConcurrentLinkedQueue<Staged> idle = new ConcurrentLinkedQueue<>();

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
     * Begins this thread's appends of a run of samples: {@link Staged#add} stages each sample's readings for every
     * route, {@link Staged#write} writes each outbox's staged records with one write, {@link Staged#end} (always
     * called, in a {@code finally}) ends the run. No route is made or taken over meanwhile. Called before the
     * caller takes any meter's monitor: the run holds the routing lock, and one thread taking them the other way
     * round would deadlock with a route being made.
     */
    Staged stage() {
        Staged s = idle.poll();
        routing.readLock().lock();
        return s != null ? s : new Staged();
    }

    /** A run's staged appends: records per route (and for the outbox that holds readings while no route exists). */
    final class Staged {
        private final Map<Route, Records> byRoute = new IdentityHashMap<>();
        private final ArrayDeque<Records> spare = new ArrayDeque<>();
        private final EntryCodec.Writer writer = new EntryCodec.Writer();
        private Records held;
        private String heldFirst;

        /**
         * Stages one sample's readings for every route. With no route at all (a first start, before the routes and
         * sinks are bound) they wait in the {@link Outboxes#UNROUTED} outbox, which the first route takes over. The
         * caller serialises calls per meter (the routes' report-by-exception filters). A route's records past
         * {@value #WRITE_AT} bytes are written at once.
         */
        void add(List<EnrichedReading> readings, long now) {
            if (readings.isEmpty()) {
                return;
            }
            if (routes.isEmpty()) {
                if (held == null) {
                    held = records();
                    heldFirst = readings.get(0).meterId();
                }
                held.add(writer.encode(readings, now));
                if (held.bytes() >= WRITE_AT) {
                    holdingOutbox(heldFirst).append(held);
                    held.clear();
                }
                return;
            }
            // encoded once for all the routes that take every reading; the encoding lives in the run's writer, so a
            // route's own selection, encoded there, means encoding again for the next
            EntryCodec.Encoded all = null;
            for (Route route : routes.values()) {
                List<EnrichedReading> selected = route.select(readings);
                EntryCodec.Encoded entry;
                if (selected == readings) {
                    if (all == null) {
                        all = writer.encode(readings, now);
                    }
                    entry = all;
                } else if (!selected.isEmpty()) {
                    entry = writer.encode(selected, now);
                    all = null;
                } else {
                    continue;
                }
                Records r = byRoute.get(route);
                if (r == null) { // not computeIfAbsent: its lambda would be made for every sample
                    r = records();
                    byRoute.put(route, r);
                }
                r.add(entry);
                if (r.bytes() >= WRITE_AT) {
                    route.append(r);
                    r.clear();
                }
            }
        }

        /**
         * Writes what is staged: one write per outbox. A route whose outbox cannot be written does not keep the
         * others from theirs; its failure is thrown after them.
         */
        void write() {
            RuntimeException failed = null;
            for (Map.Entry<Route, Records> e : byRoute.entrySet()) {
                Records r = e.getValue();
                if (r.isEmpty()) {
                    continue;
                }
                try {
                    e.getKey().append(r);
                } catch (RuntimeException x) {
                    failed = failed == null ? x : failed;
                }
                r.clear();
            }
            if (held != null && !held.isEmpty()) {
                try {
                    holdingOutbox(heldFirst).append(held);
                } catch (RuntimeException x) {
                    failed = failed == null ? x : failed;
                }
                held.clear();
            }
            if (failed != null) {
                throw failed;
            }
        }

        /** Ends the run: what was not written is dropped (the caller has been told by an exception). */
        void end() {
            for (Records r : byRoute.values()) {
                r.clear();
                spare.add(r);
            }
            byRoute.clear(); // no route kept past the run: one may be retired
            if (held != null) {
                held.clear();
                spare.add(held);
                held = null;
            }
            routing.readLock().unlock();
            idle.add(this);
        }

        private Records records() {
            Records r = spare.poll();
            return r != null ? r : new Records();
        }
    }

    /** The outbox for readings while no route exists, opened on first use; {@code meterId} names the first. */
    private Outbox holdingOutbox(String meterId) {
        Outbox o = unrouted;
        if (o == null) {
            synchronized (this) {
                o = unrouted;
                if (o == null) {
                    o = store.open(Outboxes.UNROUTED, defaultMaxBytes);
                    unrouted = o;
                    LOG.warn("Readings of meter {} are kept in outbox '{}' until a sink or sink route exists; the"
                            + " first one gets them", meterId, Outboxes.UNROUTED);
                }
            }
        }
        return o;
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

    /**
     * Deletes the outboxes of these sink names, unless a sink or route of that name exists. A route leaves the map
     * under the routing lock, so no run still holds records for it; its courier is stopped (up to seconds) after.
     */
    void retire(String[] names, Set<String> boundSinks) {
        for (String name : names) {
            Route r = routes.get(name);
            if (r == null || boundSinks.contains(name) || routeConfigs.containsKey(name)) {
                continue;
            }
            routing.writeLock().lock();
            try {
                if (!routes.remove(name, r)) {
                    continue;
                }
            } finally {
                routing.writeLock().unlock();
            }
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
