package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import java.util.List;

/** One sink's path through the pipeline: its settings, report-by-exception filter, outbox and courier. */
final class Route {
    private final Courier courier;
    private volatile RouteSettings settings;
    private volatile ExceptionFilter filter;

    Route(RouteSettings settings, Courier courier) {
        this.courier = courier;
        apply(settings);
    }

    /** New settings; a changed deadband starts report-by-exception afresh (every metric's next reading passes). */
    void apply(RouteSettings s) {
        RouteSettings before = settings;
        settings = s;
        if (before == null || !java.util.Objects.equals(before.deadband(), s.deadband())) {
            filter = s.deadband() == null ? null : new ExceptionFilter(s.deadband());
        }
        courier.outbox().maxBytes(s.maxBytes());
        courier.batching(s.batchSize(), s.flushMillis());
    }

    Courier courier() {
        return courier;
    }

    /** The readings of one sample this sink gets; the caller serialises calls per meter. */
    List<EnrichedReading> select(List<EnrichedReading> readings) {
        ExceptionFilter f = filter;
        return f == null ? readings : f.filter(readings);
    }

    /** Appends one sample's readings for this sink (not empty) and wakes its courier. */
    void append(List<EnrichedReading> readings, long nowMillis) {
        courier.outbox().append(EntryCodec.encode(readings, nowMillis));
        courier.wake();
    }
}
