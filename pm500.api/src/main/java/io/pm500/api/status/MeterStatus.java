package io.pm500.api.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one meter's acquisition, as one driver sees it.
 *
 * @param meterId             the configured meter id
 * @param driver              the driver's bundle symbolic name, e.g. {@code pm500.driver.modbus}
 * @param endpoint            where the meter is read, e.g. {@code 10.0.4.21:502 unit 1}
 * @param state               connection state
 * @param stateSince          when the meter entered that state (or the driver started it)
 * @param polls               block reads attempted since the driver started
 * @param failures            block reads that failed
 * @param consecutiveFailures failures since the last good read
 * @param reconnects          connections (or sessions) opened after the first one since the driver started
 * @param lastError           the last failure's description, empty if none
 * @param lastLatency         round-trip time of the last successful read, {@link Duration#ZERO} before the first
 * @param lastSuccess         when the last read succeeded, {@code null} before the first
 * @param blocks              the profile blocks the driver reads from this meter, so consumers know what the meter
 *                            will report before its first sample
 * @param intervals           how often the driver reads each of the blocks; {@link Duration#ZERO}: once when a
 *                            connection opens (identity), so no new sample while the connection lasts is normal
 * @param blockPolls          each block's polls by result, in the order of {@code blocks}
 * @param pollTimes           the round-trip times of the successful polls
 */
public record MeterStatus(String meterId, String driver, String endpoint, ConnectionState state,
        Instant stateSince, long polls, long failures, int consecutiveFailures, long reconnects, String lastError,
        Duration lastLatency, Instant lastSuccess, List<String> blocks, Map<String, Duration> intervals,
        List<BlockPolls> blockPolls, PollTimes pollTimes) {

    public MeterStatus {
        if (meterId == null || driver == null || endpoint == null || state == null || stateSince == null
                || lastLatency == null) {
            throw new IllegalArgumentException(
                    "meter status needs meterId, driver, endpoint, state, stateSince and lastLatency");
        }
        blockPolls = blockPolls == null ? List.of() : List.copyOf(blockPolls);
        pollTimes = pollTimes == null ? PollTimes.NONE : pollTimes;
        lastError = lastError == null ? "" : lastError;
        blocks = blocks == null ? List.of() : List.copyOf(blocks);
        intervals = intervals == null ? Map.of() : Map.copyOf(intervals);
    }
}
