package io.pm500.enrich.internal;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.DeviceProfiles;
import io.pm500.api.profile.ProfileException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The enrichment rules and asset registry in force, with each meter's model built on first use. Immutable rules. */
final class Enrichment {
    private static final Logger LOG = LoggerFactory.getLogger(Enrichment.class);

    private final EnrichSettings settings;
    private final Map<String, AssetInfo> assets;
    private final Map<String, MeterModel> models = new ConcurrentHashMap<>();
    private final Map<String, DeviceProfile> profiles = new ConcurrentHashMap<>();

    Enrichment(EnrichSettings settings, Map<String, AssetInfo> assets) {
        this.settings = settings;
        this.assets = Map.copyOf(assets);
    }

    EnrichSettings settings() {
        return settings;
    }

    MeterModel model(String meterId) {
        return models.computeIfAbsent(meterId, id -> {
            AssetInfo asset = assets.getOrDefault(id, AssetInfo.unregistered(id));
            return new MeterModel(asset, profile(asset), settings);
        });
    }

    private DeviceProfile profile(AssetInfo asset) {
        return profiles.computeIfAbsent(asset.profile(), name -> {
            try {
                return DeviceProfiles.resolve(name);
            } catch (ProfileException e) {
                // the asset was checked when configured; the file has changed since
                LOG.error("Meter {}: profile '{}' no longer loads ({}); publishing its points with the built-in"
                        + " pm500 profile's units", asset.meterId(), name, e.getMessage());
                try {
                    return DeviceProfiles.builtIn(DeviceProfiles.PM500);
                } catch (ProfileException builtIn) {
                    throw new IllegalStateException(builtIn);
                }
            }
        });
    }
}
