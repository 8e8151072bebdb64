package io.pm500.api.profile;

import io.pm500.api.reading.Phase;

/**
 * What one point is, independent of where it is read.
 *
 * @param unit        engineering unit of the decoded value ({@code V}, {@code kW}, {@code Wh}); empty if none
 * @param phase       the conductor it belongs to
 * @param kind        what it measures
 * @param scaling     which transformer ratio, if any, brings it to the primary side
 * @param description one line for people
 * @param bits        names of the bits of a {@link PointKind#STATUS_BITS} word, bit 0 first
 */
public record Point(String unit, Phase phase, PointKind kind, Scaling scaling, String description,
        java.util.List<String> bits) {
    public Point {
        unit = unit == null ? "" : unit;
        phase = phase == null ? Phase.NONE : phase;
        scaling = scaling == null ? Scaling.NONE : scaling;
        description = description == null ? "" : description;
        bits = bits == null ? java.util.List.of() : java.util.List.copyOf(bits);
    }
}
