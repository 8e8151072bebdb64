package io.pm500.api.status;

import java.time.Duration;
import java.time.Instant;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A snapshot of one sink's delivery and its outbox. Made with {@link #builder}; an interface, so that a new fact is a
 * new method (a minor version) rather than a new record component that breaks every caller.
 */
@ProviderType
public interface SinkStatus {

    /** The sink's {@code sink.name}. */
    String sinkName();

    /** Delivery state. */
    SinkState state();

    /** Readings confirmed by the destination since the gateway started. */
    long delivered();

    /** Readings confirmed per second, over the last few seconds. */
    double deliveredPerSecond();

    /** Deliveries that failed (each retried, or dead-lettered when permanent). */
    long failedTries();

    /** Readings the destination permanently refused, moved to the dead-letter file. */
    long deadLettered();

    /** Where those are (JSON lines); {@code null} if not known. */
    String deadLetterFile();

    /** Readings dropped unsent because the outbox was full (oldest first). */
    long dropped();

    /** Readings waiting in the outbox. */
    long queued();

    /** Bytes they take in the outbox. */
    long queuedBytes();

    /** The outbox's limit: beyond it the oldest readings are dropped. */
    long queuedBytesLimit();

    /** How long the oldest queued reading has waited; {@link Duration#ZERO} when empty. */
    Duration oldestAge();

    /** The last failure's description; empty if none. */
    String lastError();

    /** When the last batch was confirmed; {@code null} before the first. */
    Instant lastDelivery();

    static Builder builder(String sinkName, SinkState state) {
        return new Builder(sinkName, state);
    }

    /** Collects a sink status; what is not set is zero, empty or {@code null} as each method says. */
    final class Builder {
        private final String sinkName;
        private final SinkState state;
        private long delivered;
        private double deliveredPerSecond;
        private long failedTries;
        private long deadLettered;
        private String deadLetterFile;
        private long dropped;
        private long queued;
        private long queuedBytes;
        private long queuedBytesLimit;
        private Duration oldestAge = Duration.ZERO;
        private String lastError = "";
        private Instant lastDelivery;

        private Builder(String sinkName, SinkState state) {
            if (sinkName == null || state == null) {
                throw new IllegalArgumentException("sink status needs sinkName and state");
            }
            this.sinkName = sinkName;
            this.state = state;
        }

        public Builder delivered(long count, double perSecond) {
            delivered = count;
            deliveredPerSecond = perSecond;
            return this;
        }

        public Builder failedTries(long count) {
            failedTries = count;
            return this;
        }

        public Builder deadLettered(long count, String file) {
            deadLettered = count;
            deadLetterFile = file;
            return this;
        }

        public Builder dropped(long count) {
            dropped = count;
            return this;
        }

        /** The outbox: readings and bytes queued, its byte limit, how long the oldest has waited. */
        public Builder queued(long readings, long bytes, long bytesLimit, Duration oldest) {
            if (oldest == null) {
                throw new IllegalArgumentException("sink status of '" + sinkName + "' needs the oldest age");
            }
            queued = readings;
            queuedBytes = bytes;
            queuedBytesLimit = bytesLimit;
            oldestAge = oldest;
            return this;
        }

        public Builder lastError(String error) {
            lastError = error == null ? "" : error;
            return this;
        }

        public Builder lastDelivery(Instant at) {
            lastDelivery = at;
            return this;
        }

        public SinkStatus build() {
            return new SinkStatusValue(sinkName, state, delivered, deliveredPerSecond, failedTries, deadLettered,
                    deadLetterFile, dropped, queued, queuedBytes, queuedBytesLimit, oldestAge, lastError, lastDelivery);
        }
    }
}

/** The one implementation, made by {@link SinkStatus.Builder}. */
record SinkStatusValue(String sinkName, SinkState state, long delivered, double deliveredPerSecond, long failedTries,
        long deadLettered, String deadLetterFile, long dropped, long queued, long queuedBytes, long queuedBytesLimit,
        Duration oldestAge, String lastError, Instant lastDelivery) implements SinkStatus {
}
