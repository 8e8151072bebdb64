package io.pm500.driver.kit;

import io.pm500.api.sample.AcquisitionStatus;

/**
 * A failed poll as the driver knows it: the outcome and a description that names the cause and the fix. A driver
 * throws it for what it detects itself (a device of another type, a block of the wrong size, a short reply) and makes
 * one from each library exception in {@link BlockPoller#classify}, so that no decision hangs on a message's wording
 * outside that one place.
 */
public final class PollFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient AcquisitionStatus status;

    public PollFailure(AcquisitionStatus status, String detail) {
        super(detail);
        if (status == null || status.isOk()) {
            throw new IllegalArgumentException("a poll failure needs a failed status, got " + status);
        }
        this.status = status;
    }

    public AcquisitionStatus status() {
        return status;
    }

    /** The description for the sample and the status: what failed and what to do. */
    public String detail() {
        return getMessage();
    }
}
