package io.pm500.driver.kit;

/** A block a driver polls: its profile block id and how often ({@code 0} = once per connection). */
public interface PollBlock {
    String blockId();

    long intervalMillis();

    /** How logs show the block and its schedule. */
    default String describe() {
        return blockId() + "=" + intervalMillis() + "ms";
    }
}
