package io.pm500.api.status;

import java.util.Collections;
import java.util.List;

/**
 * Round-trip times of a meter's successful polls since the driver started it, as a histogram with the fixed bounds
 * {@link #BOUNDS_SECONDS}: fixed, so that meters and drivers can be compared and summed.
 *
 * @param counts     polls per bucket, not cumulative: {@code counts[i]} took at most {@code BOUNDS_SECONDS[i]} and
 *                   more than the bound before; the last bucket holds those above the highest bound
 * @param sumSeconds the sum of all the times
 */
public record PollTimes(List<Long> counts, double sumSeconds) {
    /** Upper bounds of the buckets but the last, in seconds: a LAN meter answers in milliseconds. */
    public static final List<Double> BOUNDS_SECONDS = List.of(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1.0, 2.5);
    /** No poll yet. */
    public static final PollTimes NONE = new PollTimes(null, 0);

    public PollTimes {
        counts = counts == null ? Collections.nCopies(BOUNDS_SECONDS.size() + 1, 0L) : List.copyOf(counts);
        if (counts.size() != BOUNDS_SECONDS.size() + 1) {
            throw new IllegalArgumentException("poll times need " + (BOUNDS_SECONDS.size() + 1) + " bucket counts, not "
                    + counts.size());
        }
    }

    /** How many polls the histogram holds. */
    public long count() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }
}
