package io.pm500.enrich.internal;

import java.time.Duration;

/**
 * How readings reach one sink.
 *
 * @param sinkName the sink's {@code sink.name}
 * @param maxBytes outbox limit; beyond it the oldest readings are dropped (and counted)
 * @param batchSize readings per delivery, about (whole samples are never split)
 * @param catchUpBatchSize readings per delivery while a backlog is queued (more than two batches), about
 * @param flushMillis how long queued readings may wait for a full batch; 0 delivers as soon as there are any
 * @param deadband report-by-exception rules, or null to deliver every reading
 */
record RouteSettings(String sinkName, long maxBytes, int batchSize, int catchUpBatchSize, long flushMillis,
        ExceptionFilter.Deadband deadband) {

    static final int DEFAULT_BATCH_SIZE = 500;
    /**
     * Off by default (a backlog goes in ordinary batches): a Sparkplug backlog sent in large bursts of QoS 0 messages
     * outruns hosts and brokers' queues (Mosquitto dropped DDATA for a subscriber when it was 20,000), while a
     * historian, which pays a fixed cost per write, drains several times faster with it (docs/performance.md).
     */
    static final int DEFAULT_CATCH_UP_BATCH_SIZE = DEFAULT_BATCH_SIZE;
    /**
     * A poll cycle's readings gathered into fewer deliveries: at 1,000 meters a third less of the gateway's CPU than
     * delivering each sample at once (docs/performance.md), for at most 20 ms more latency.
     */
    static final int DEFAULT_FLUSH_MILLIS = 20;

    /** A sink with no route configuration: every reading, the pipeline's default outbox size. */
    static RouteSettings defaults(String sinkName, long maxBytes) {
        return new RouteSettings(sinkName, maxBytes, DEFAULT_BATCH_SIZE, DEFAULT_CATCH_UP_BATCH_SIZE,
                DEFAULT_FLUSH_MILLIS, null);
    }

    static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
