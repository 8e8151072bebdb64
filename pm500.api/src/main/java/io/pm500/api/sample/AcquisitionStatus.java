package io.pm500.api.sample;

/** Outcome of one read of one data block. Only {@link #OK} samples carry point values. */
public enum AcquisitionStatus {
    /** The meter answered and every point decoded. */
    OK,
    /** No reply within the configured timeout. */
    TIMEOUT,
    /** The connection could not be opened or broke during the request. */
    CONNECTION_LOST,
    /** The reply was malformed, truncated or did not match the device profile. */
    PROTOCOL_ERROR,
    /** The meter answered with an error (CIP general status, Modbus exception code). */
    DEVICE_ERROR;

    public boolean isOk() {
        return this == OK;
    }
}
