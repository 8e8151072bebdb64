package io.pm500.enrich.internal;

import io.pm500.api.profile.DeviceProfile;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The enrichment rules and asset registry in force, with each meter's model built on first use. Immutable rules. */
final class Enrichment {
    private final EnrichSettings settings;
    private final Map<String, AssetInfo> assets;
    private final Map<String, MeterModel> models = new ConcurrentHashMap<>();

    Enrichment(EnrichSettings settings, Map<String, AssetInfo> assets) {
        this.settings = settings;
        this.assets = Map.copyOf(assets);
    }

    EnrichSettings settings() {
        return settings;
    }

    /** The meter's model by this profile, built on first use and again when the meter's profile changes. */
    MeterModel model(String meterId, DeviceProfile profile) {
        MeterModel m = models.get(meterId);
        if (m == null || m.profile() != profile) {
            m = new MeterModel(assets.getOrDefault(meterId, AssetInfo.unregistered(meterId)), profile, settings);
            models.put(meterId, m);
        }
        return m;
    }

    /** The valid assets, by meter id. */
    Map<String, AssetInfo> assets() {
        return assets;
    }
}
