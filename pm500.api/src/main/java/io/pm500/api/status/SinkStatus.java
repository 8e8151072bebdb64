package io.pm500.api.status;

import java.time.Instant;

/**
 * A snapshot of one sink's delivery.
 *
 * @param sinkName     the sink's {@code sink.name}
 * @param state        delivery state
 * @param delivered    readings confirmed by the destination
 * @param failedTries  deliveries that failed (each retried, or dead-lettered when permanent)
 * @param deadLettered readings the destination permanently refused, moved to the dead-letter file
 * @param queued       readings waiting in the outbox
 * @param lastError    the last failure's description, empty if none
 * @param lastDelivery when the last batch was confirmed, {@code null} before the first
 */
public record SinkStatus(String sinkName, SinkState state, long delivered, long failedTries, long deadLettered,
        long queued, String lastError, Instant lastDelivery) {

    public SinkStatus {
        if (sinkName == null || state == null) {
            throw new IllegalArgumentException("sink status needs sinkName and state");
        }
        lastError = lastError == null ? "" : lastError;
    }
}
