package io.pm500.api.status;

/** A meter's connection as its driver sees it. */
public enum ConnectionState {
    /** Configured but switched off. */
    DISABLED,
    /** Opening the connection, or backing off before the next try. */
    CONNECTING,
    /** Polls succeed. */
    CONNECTED,
    /** Consecutive failures passed the configured limit; readings are STALE until the first good poll. */
    LOST
}
