package io.pm500.driver.kit;

/**
 * A block a driver polls: its profile block id and how often ({@code 0} = once per connection); and the schedule
 * rules every driver's timers follow, whichever timers they are.
 */
public interface PollBlock {
    /** How often a block read once per connection is offered: its poll returns at once while it is read. */
    long ONCE_PER_CONNECTION_CHECK_MILLIS = 1000;

    String blockId();

    long intervalMillis();

    /** How logs show the block and its schedule. */
    default String describe() {
        return blockId() + "=" + intervalMillis() + "ms";
    }

    /** How often a block's poll is due: its interval, or {@link #ONCE_PER_CONNECTION_CHECK_MILLIS} for interval 0. */
    static long periodMillis(long intervalMillis) {
        return intervalMillis == 0 ? ONCE_PER_CONNECTION_CHECK_MILLIS : intervalMillis;
    }

    /**
     * How soon after a poll started the next poll of the block may start: a poll that ran late (behind a connection
     * being opened) is not followed within half an interval by the next, which is skipped instead. Once-per-connection
     * blocks, whose polls return at once while read, have no such gap.
     */
    static long minGapNanos(long intervalMillis) {
        return intervalMillis * 500_000L;
    }
}
