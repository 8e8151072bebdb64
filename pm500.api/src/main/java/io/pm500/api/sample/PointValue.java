package io.pm500.api.sample;

/**
 * One decoded point of a block.
 *
 * @param pointId the point id of the device profile, e.g. {@code voltage.l1n}
 * @param value   the decoded value, in the unit the device profile gives for the point
 */
public record PointValue(String pointId, Value value) {
    public PointValue {
        Names.requireText(pointId, "pointId");
        if (value == null) {
            throw new IllegalArgumentException("point '" + pointId + "' has no value");
        }
    }
}
