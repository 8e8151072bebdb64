package io.pm500.api.sample;

import java.time.Instant;
import java.util.List;

/**
 * One read of one data block of one meter, as a driver produced it.
 *
 * @param meterId    the configured meter id
 * @param blockId    the device-profile block the values came from, e.g. {@code assembly.101}
 * @param acquiredAt when the reply arrived (nanosecond precision where the clock gives it); it travels to every
 *                   sink as it is, unless another acquisition of the meter took that millisecond (the pipeline then
 *                   uses the next free one)
 * @param status     the acquisition outcome
 * @param detail     why a failed acquisition failed (error code, exception text); empty when OK
 * @param points     the decoded values in profile order; empty unless OK
 */
public record Sample(String meterId, String blockId, Instant acquiredAt, AcquisitionStatus status, String detail,
        List<PointValue> points) {

    public Sample {
        Names.requireText(meterId, "meterId");
        Names.requireText(blockId, "blockId");
        if (acquiredAt == null || status == null) {
            throw new IllegalArgumentException("sample of meter '" + meterId + "' needs acquiredAt and status");
        }
        detail = detail == null ? "" : detail;
        points = List.copyOf(points);
        if (status.isOk() && !detail.isEmpty()) {
            throw new IllegalArgumentException("an OK sample carries no error detail: " + detail);
        }
        if (!status.isOk()) {
            if (!points.isEmpty()) {
                throw new IllegalArgumentException("a failed sample (" + status + ") carries no point values");
            }
            if (detail.isEmpty()) {
                throw new IllegalArgumentException("a failed sample (" + status + ") needs a detail saying why");
            }
        }
    }

    public static Sample ok(String meterId, String blockId, Instant acquiredAt, List<PointValue> points) {
        return new Sample(meterId, blockId, acquiredAt, AcquisitionStatus.OK, "", points);
    }

    public static Sample failed(String meterId, String blockId, Instant acquiredAt, AcquisitionStatus status,
            String detail) {
        return new Sample(meterId, blockId, acquiredAt, status, detail, List.of());
    }
}
