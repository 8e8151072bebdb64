package io.pm500.api.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A snapshot of one meter's acquisition, as one driver sees it. Made with {@link #builder}; an interface, so that a
 * new fact is a new method (a minor version) rather than a new record component that breaks every caller.
 */
@ProviderType
public interface MeterStatus {

    /** The configured meter id. */
    String meterId();

    /** The driver's bundle symbolic name, e.g. {@code pm500.driver.modbus}. */
    String driver();

    /** Where the meter is read, e.g. {@code 10.0.4.21:502 unit 1}. */
    String endpoint();

    /** Connection state. */
    ConnectionState state();

    /** When the meter entered that state (or the driver started it). */
    Instant stateSince();

    /** Block reads attempted since the driver started. */
    long polls();

    /** Block reads that failed. */
    long failures();

    /** Failures since the last good read. */
    int consecutiveFailures();

    /** Connections (or sessions) opened after the first one since the driver started. */
    long reconnects();

    /** The last failure's description; empty if none. */
    String lastError();

    /** Round-trip time of the last successful read; {@link Duration#ZERO} before the first. */
    Duration lastLatency();

    /** When the last read succeeded; {@code null} before the first. */
    Instant lastSuccess();

    /** The profile blocks the driver reads from this meter, in poll order. */
    List<String> blocks();

    /**
     * How often the driver reads each of the blocks; {@link Duration#ZERO}: once when a connection opens (identity),
     * so no new sample while the connection lasts is normal.
     */
    Map<String, Duration> intervals();

    /** Each block's polls by result, in the order of {@link #blocks}. */
    List<BlockPolls> blockPolls();

    /** The round-trip times of the successful polls. */
    PollTimes pollTimes();

    static Builder builder(String meterId, String driver, String endpoint) {
        return new Builder(meterId, driver, endpoint);
    }

    /** Collects a meter status; what is not set is zero, empty or {@code null} as each method says. */
    final class Builder {
        private final String meterId;
        private final String driver;
        private final String endpoint;
        private ConnectionState state = ConnectionState.CONNECTING;
        private Instant stateSince = Instant.EPOCH;
        private long polls;
        private long failures;
        private int consecutiveFailures;
        private long reconnects;
        private String lastError = "";
        private Duration lastLatency = Duration.ZERO;
        private Instant lastSuccess;
        private List<String> blocks = List.of();
        private Map<String, Duration> intervals = Map.of();
        private List<BlockPolls> blockPolls = List.of();
        private PollTimes pollTimes = PollTimes.NONE;

        private Builder(String meterId, String driver, String endpoint) {
            if (meterId == null || driver == null || endpoint == null) {
                throw new IllegalArgumentException("meter status needs meterId, driver and endpoint");
            }
            this.meterId = meterId;
            this.driver = driver;
            this.endpoint = endpoint;
        }

        public Builder state(ConnectionState s, Instant since) {
            if (s == null || since == null) {
                throw new IllegalArgumentException("meter status of '" + meterId + "' needs a state and since when");
            }
            state = s;
            stateSince = since;
            return this;
        }

        /** Polls attempted and failed since the driver started, and failed since the last good one. */
        public Builder polls(long attempted, long failed, int consecutive) {
            polls = attempted;
            failures = failed;
            consecutiveFailures = consecutive;
            return this;
        }

        public Builder reconnects(long count) {
            reconnects = count;
            return this;
        }

        public Builder lastError(String error) {
            lastError = error == null ? "" : error;
            return this;
        }

        /** The last successful read: its round-trip time and when; {@code at} null before the first. */
        public Builder lastSuccess(Duration latency, Instant at) {
            lastLatency = latency == null ? Duration.ZERO : latency;
            lastSuccess = at;
            return this;
        }

        /** The blocks read, in poll order, and each block's interval. */
        public Builder blocks(List<String> ids, Map<String, Duration> everyBlock) {
            blocks = ids == null ? List.of() : List.copyOf(ids);
            intervals = everyBlock == null ? Map.of() : Map.copyOf(everyBlock);
            return this;
        }

        public Builder pollResults(List<BlockPolls> byBlock, PollTimes times) {
            blockPolls = byBlock == null ? List.of() : List.copyOf(byBlock);
            pollTimes = times == null ? PollTimes.NONE : times;
            return this;
        }

        public MeterStatus build() {
            return new MeterStatusValue(meterId, driver, endpoint, state, stateSince, polls, failures,
                    consecutiveFailures, reconnects, lastError, lastLatency, lastSuccess, blocks, intervals,
                    blockPolls, pollTimes);
        }
    }
}

/** The one implementation, made by {@link MeterStatus.Builder}. */
record MeterStatusValue(String meterId, String driver, String endpoint, ConnectionState state, Instant stateSince,
        long polls, long failures, int consecutiveFailures, long reconnects, String lastError, Duration lastLatency,
        Instant lastSuccess, List<String> blocks, Map<String, Duration> intervals, List<BlockPolls> blockPolls,
        PollTimes pollTimes) implements MeterStatus {
}
