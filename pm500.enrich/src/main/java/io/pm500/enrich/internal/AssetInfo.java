package io.pm500.enrich.internal;

import java.util.List;

/**
 * What the asset registry knows about one meter.
 *
 * @param meterId     the meter id the drivers use
 * @param site        site id
 * @param area        area within the site
 * @param asset       asset id (what the meter measures, e.g. a feeder)
 * @param description one line for people
 * @param tags        free labels
 * @param ctRatio     current transformer ratio applied to points the profile marks as CT-secondary
 * @param vtRatio     voltage transformer ratio applied to points the profile marks as VT-secondary
 */
record AssetInfo(String meterId, String site, String area, String asset, String description, List<String> tags,
        double ctRatio, double vtRatio) {

    AssetInfo {
        tags = List.copyOf(tags);
    }

    /** A meter with no registry entry: its own id is its asset id. */
    static AssetInfo unregistered(String meterId) {
        return new AssetInfo(meterId, "", "", meterId, "", List.of(), 1, 1);
    }
}
