package io.pm500.api.sink;

import java.time.Duration;
import java.util.Optional;

/** A batch was not delivered; says whether trying again can help and, optionally, when. */
public final class SinkException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean retriable;
    private final transient Duration retryAfter;

    private SinkException(String message, Throwable cause, boolean retriable, Duration retryAfter) {
        super(message, cause);
        this.retriable = retriable;
        this.retryAfter = retryAfter;
    }

    /** The destination may accept the same batch later (down, timed out, throttled). */
    public static SinkException retriable(String message, Throwable cause) {
        return new SinkException(message, cause, true, null);
    }

    /** Retriable, with the delay the destination asked for (e.g. HTTP Retry-After). */
    public static SinkException retriableAfter(String message, Duration retryAfter) {
        if (retryAfter == null || retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be zero or positive");
        }
        return new SinkException(message, null, true, retryAfter);
    }

    /** The destination will never accept this batch as it is. */
    public static SinkException permanent(String message, Throwable cause) {
        return new SinkException(message, cause, false, null);
    }

    public boolean isRetriable() {
        return retriable;
    }

    /** The delay the destination asked for before the next try, if it named one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
