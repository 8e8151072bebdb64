package io.pm500.api.reading;

import java.util.List;

/**
 * Where a meter sits in the plant, from its asset configuration: the same facts every reading of the meter carries,
 * known before its first reading.
 *
 * @param meterId     the configured meter id
 * @param asset       the asset id readings are published under
 * @param site        the site, empty when not set
 * @param area        the area within the site, empty when not set
 * @param description free text, empty when not set
 * @param tags        free labels
 */
public record MeterAsset(String meterId, String asset, String site, String area, String description,
        List<String> tags) {

    public MeterAsset {
        if (meterId == null || meterId.isBlank() || asset == null || asset.isBlank()) {
            throw new IllegalArgumentException("a meter asset needs a meter id and an asset id");
        }
        site = site == null ? "" : site;
        area = area == null ? "" : area;
        description = description == null ? "" : description;
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
