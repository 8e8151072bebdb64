package io.pm500.sink.influx.internal;

import io.pm500.api.sink.SinkException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * What a refused write means for the readings in it, the same for both write APIs. Only data errors are
 * permanent (the pipeline isolates the refused readings into the dead-letter file); everything that a person or
 * time can fix — throttling, an overloaded or absent server, a bad token, a missing bucket — keeps the readings
 * queued, so a configuration slip never turns into lost data.
 */
final class HttpErrors {
    private HttpErrors() {
    }

    /**
     * @param status     the HTTP status (never 2xx)
     * @param message    the server's own error message
     * @param retryAfter the Retry-After header, or null
     * @param what       what was refused, e.g. {@code influx 'historian' (http://…) refused 12 lines}
     */
    /** How soon to try an unreachable server again: its return is noticed within about this long. */
    static final Duration UNREACHABLE_RETRY = Duration.ofSeconds(1);

    /**
     * No HTTP answer (refused, reset, timed out, TLS failure): retried every second, so delivery resumes within about
     * a second of the server's return instead of at the end of a back-off. A refused connection costs nothing.
     */
    static SinkException unreachable(String target, String why) {
        return SinkException.retriableAfter(target + " unreachable: " + why + "; trying again every second",
                UNREACHABLE_RETRY);
    }

    static SinkException of(int status, String message, String retryAfter, String what) {
        String text = what + " with HTTP " + status + ": " + (message == null || message.isBlank() ? "(no message)"
                : message.strip());
        if (status == 429 || status == 503) {
            Duration after = retryAfter(retryAfter);
            return after == null ? SinkException.retriable(text + "; retrying with back-off", null)
                    : SinkException.retriableAfter(text + "; retrying after " + after.toSeconds() + " s", after);
        }
        if (status >= 500) {
            return SinkException.retriable(text + "; retrying with back-off", null);
        }
        return switch (status) {
            case 401, 403 -> SinkException.retriable(text + "; check the token (or user and password) and its write"
                    + " permission on the bucket or database; readings stay queued", null);
            case 404 -> SinkException.retriable(text + "; the bucket, organisation or database does not exist: create"
                    + " it or fix the configuration; readings stay queued", null);
            case 408 -> SinkException.retriable(text + "; retrying with back-off", null);
            default -> SinkException.permanent(text, null);
        };
    }

    /** Retry-After as delay-seconds or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(h)));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(h,
                        DateTimeFormatter.RFC_1123_DATE_TIME));
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
