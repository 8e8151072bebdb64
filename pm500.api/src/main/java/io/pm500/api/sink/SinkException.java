package io.pm500.api.sink;

import io.pm500.api.reading.EnrichedReading;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A batch was not delivered; says whether trying again can help and, optionally, when. */
public final class SinkException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean retriable;
    private final transient Duration retryAfter;
    private final transient List<EnrichedReading> refused;

    private SinkException(String message, Throwable cause, boolean retriable, Duration retryAfter,
            List<EnrichedReading> refused) {
        super(message, cause);
        this.retriable = retriable;
        this.retryAfter = retryAfter;
        this.refused = refused;
    }

    /** The destination may accept the same batch later (down, timed out, throttled). */
    public static SinkException retriable(String message, Throwable cause) {
        return new SinkException(message, cause, true, null, List.of());
    }

    /** Retriable, with the delay the destination asked for (e.g. HTTP Retry-After). */
    public static SinkException retriableAfter(String message, Duration retryAfter) {
        if (retryAfter == null || retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be zero or positive");
        }
        return new SinkException(message, null, true, retryAfter, List.of());
    }

    /** The destination will never accept this batch as it is. */
    public static SinkException permanent(String message, Throwable cause) {
        return new SinkException(message, cause, false, null, List.of());
    }

    /**
     * The destination took the batch except these readings, which it will never take (a server that says which
     * lines it dropped): the pipeline moves exactly them to the dead-letter file and counts the rest delivered,
     * without sending anything again.
     *
     * @param refused readings of the batch, at least one
     */
    public static SinkException refused(String message, List<EnrichedReading> refused) {
        if (refused == null || refused.isEmpty()) {
            throw new IllegalArgumentException("a partial refusal names at least one refused reading");
        }
        return new SinkException(message, null, false, null, List.copyOf(refused));
    }

    public boolean isRetriable() {
        return retriable;
    }

    /** The readings a partial refusal names ({@link #refused(String, List)}); empty for any other failure. */
    public List<EnrichedReading> refused() {
        return refused;
    }

    /** The delay the destination asked for before the next try, if it named one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
