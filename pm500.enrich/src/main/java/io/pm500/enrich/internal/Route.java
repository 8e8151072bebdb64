package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sink.Sink;
import io.pm500.api.status.SinkStatus;
import java.util.List;

/** One sink's path through the pipeline: its settings, report-by-exception filter, outbox and courier. */
final class Route {
    private final Outbox outbox;
    private final Courier courier;
    private volatile RouteSettings settings;
    private volatile ExceptionFilter filter;

    /** @param courier delivers {@code outbox} */
    Route(RouteSettings settings, Outbox outbox, Courier courier) {
        this.outbox = outbox;
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
        outbox.maxBytes(s.maxBytes());
        courier.batching(s.batchSize(), s.catchUpBatchSize(), s.flushMillis());
    }

    /** The sink to deliver to; null while there is none (its readings wait). */
    void sink(Sink sink) {
        courier.sink(sink);
    }

    /** Readings waiting in the outbox. */
    long queued() {
        return outbox.readings();
    }

    SinkStatus status() {
        return courier.status();
    }

    /** Once a second: the delivery rate. */
    void sampleRate() {
        courier.sampleRate();
    }

    void stop() {
        courier.stop();
    }

    /** The readings of one sample this sink gets; the caller serialises calls per meter. */
    List<EnrichedReading> select(List<EnrichedReading> readings) {
        ExceptionFilter f = filter;
        return f == null ? readings : f.filter(readings);
    }

    /** Appends samples' records for this sink (not empty) and tells its courier. */
    void append(Records records) {
        outbox.append(records);
        courier.appended();
    }
}
