package io.pm500.enrich.internal;

import io.pm500.api.profile.DeviceProfile;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The enrichment rules and asset registry in force, with each meter's model built on first use. The rules are
 * immutable (new rules, new enrichment); an asset changes in place and rebuilds only its meter's model.
 */
final class Enrichment {
    private final EnrichSettings settings;
    private final Map<String, AssetInfo> assets;
    private final Map<String, MeterModel> models = new ConcurrentHashMap<>();
    /**
     * Shared model parts by profile (identity: profiles are immutable and parsed once) and transformer ratios. Parts of
     * a profile or ratios no meter uses any more stay until the rules change (a new enrichment): a few per edit.
     */
    private final Map<DeviceProfile, Map<List<Double>, MeterModel.Scaled>> shared = new IdentityHashMap<>();

    Enrichment(EnrichSettings settings, Map<String, AssetInfo> assets) {
        this.settings = settings;
        this.assets = new ConcurrentHashMap<>(assets);
    }

    /** The meter's asset is now this one (empty: none); its model is built again at its next reading. */
    void asset(String meterId, Optional<AssetInfo> asset) {
        if (asset.isPresent()) {
            assets.put(meterId, asset.get());
        } else {
            assets.remove(meterId);
        }
        models.remove(meterId);
    }

    EnrichSettings settings() {
        return settings;
    }

    /** The meter's model by this profile, built on first use and again when the meter's profile changes. */
    MeterModel model(String meterId, DeviceProfile profile) {
        MeterModel m = models.get(meterId);
        if (m == null || m.profile() != profile) {
            AssetInfo asset = assets.getOrDefault(meterId, AssetInfo.unregistered(meterId));
            m = new MeterModel(asset, scaled(profile, asset));
            models.put(meterId, m);
        }
        return m;
    }

    private synchronized MeterModel.Scaled scaled(DeviceProfile profile, AssetInfo asset) {
        return shared.computeIfAbsent(profile, p -> new HashMap<>()).computeIfAbsent(
                List.of(asset.ctRatio(), asset.vtRatio()), r -> new MeterModel.Scaled(profile, settings, r.get(0),
                        r.get(1)));
    }

    /** The valid assets, by meter id, as they are now. */
    Map<String, AssetInfo> assets() {
        return Map.copyOf(assets);
    }
}
