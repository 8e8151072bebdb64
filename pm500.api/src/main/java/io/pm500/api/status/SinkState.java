package io.pm500.api.status;

/** A sink's delivery state. */
public enum SinkState {
    /** Delivering; the outbox drains. */
    UP,
    /** The last delivery failed and will be retried; readings stay queued. */
    RETRYING,
    /** The sink service is gone (bundle stopped or being updated); its outbox keeps filling. */
    ABSENT
}
