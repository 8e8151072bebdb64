package io.pm500.api.status;

import java.time.Duration;
import java.time.Instant;

/**
 * A snapshot of one sink's delivery and its outbox.
 *
 * @param sinkName          the sink's {@code sink.name}
 * @param state             delivery state
 * @param delivered         readings confirmed by the destination since the gateway started
 * @param deliveredPerSecond readings confirmed per second, over the last few seconds
 * @param failedTries       deliveries that failed (each retried, or dead-lettered when permanent)
 * @param deadLettered      readings the destination permanently refused, moved to the dead-letter file
 * @param deadLetterFile    where those are (JSON lines), {@code null} if not known
 * @param dropped           readings dropped unsent because the outbox was full (oldest first)
 * @param queued            readings waiting in the outbox
 * @param queuedBytes       bytes they take in the outbox
 * @param queuedBytesLimit  the outbox's limit: beyond it the oldest readings are dropped
 * @param oldestAge         how long the oldest queued reading has waited, {@link Duration#ZERO} when empty
 * @param lastError         the last failure's description, empty if none
 * @param lastDelivery      when the last batch was confirmed, {@code null} before the first
 */
public record SinkStatus(String sinkName, SinkState state, long delivered, double deliveredPerSecond,
        long failedTries, long deadLettered, String deadLetterFile, long dropped, long queued, long queuedBytes, long queuedBytesLimit,
        Duration oldestAge, String lastError, Instant lastDelivery) {

    public SinkStatus {
        if (sinkName == null || state == null || oldestAge == null) {
            throw new IllegalArgumentException("sink status needs sinkName, state and oldestAge");
        }
        lastError = lastError == null ? "" : lastError;
    }
}
