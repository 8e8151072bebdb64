package io.pm500.enrich.internal;

import io.pm500.kit.config.ConfigBatches;
import io.pm500.kit.config.ConfigValues;
import java.io.IOException;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.converter.Converters;
import org.osgi.util.converter.TypeReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;

/**
 * The asset registry, read from this bundle's own {@code pm500.asset} configurations in Config Admin (not from the
 * asset components: after a restart drivers may poll before SCR has activated every asset component, and a reading
 * enriched without its asset would carry the meter id and no CT/VT scaling). Read whole once ({@link #load}), then
 * kept up to date one configuration at a time ({@link #changed}): provisioning N assets costs N reads, not N².
 * When two configurations name the same meter, the one with the smaller pid counts.
 */
final class AssetRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(AssetRegistry.class);

    private final Map<String, AssetInfo> byPid = new HashMap<>();
    /** The valid entries of each meter by pid: the first one counts. */
    private final Map<String, TreeMap<String, AssetInfo>> byMeter = new HashMap<>();

    /**
     * The pipeline's enrichment made anew of these rules and the whole registry, under the registry's lock: a change
     * that comes meanwhile waits, then applies to the new enrichment.
     */
    synchronized void reload(ConfigurationAdmin configAdmin, Pipeline pipeline, EnrichSettings settings) {
        pipeline.enrichment(new Enrichment(settings, load(configAdmin)));
    }

    /** The whole registry read again; the pipeline's enrichment replaced when the assets differ. */
    synchronized void refresh(ConfigurationAdmin configAdmin, Pipeline pipeline) {
        Map<String, AssetInfo> now = load(configAdmin);
        Enrichment current = pipeline.enrichment();
        if (!now.equals(current.assets())) {
            pipeline.enrichment(new Enrichment(current.settings(), now));
        }
    }

    /** Reads every asset configuration; the valid ones by meter id (an invalid one's component says why). */
    synchronized Map<String, AssetInfo> load(ConfigurationAdmin configAdmin) {
        Configuration[] configs;
        try {
            configs = configAdmin.listConfigurations("(service.factoryPid=" + AssetComponent.PID + ")");
        } catch (IOException | InvalidSyntaxException e) {
            LOG.error("Cannot read the asset configurations ({}); meters are published under their meter ids until"
                    + " an asset configuration changes", e.toString());
            return Map.of();
        }
        byPid.clear();
        byMeter.clear();
        ConfigBatches.properties(configs).forEach((pid, properties) -> valid(properties).ifPresent(a -> add(pid, a)));
        Map<String, AssetInfo> assets = new HashMap<>();
        byMeter.forEach((meter, entries) -> {
            if (entries.size() > 1) {
                LOG.error("Two assets name meter '{}' ({}); the first counts: remove the other", meter,
                        entries.keySet());
            }
            assets.put(meter, entries.firstEntry().getValue());
        });
        return assets;
    }

    /**
     * Configurations changed or were deleted (a batch, with their properties now; null: deleted): applies those
     * only, and gives the pipeline's enrichment the assets of the meters they change.
     *
     * @return whether any meter's asset changed
     */
    synchronized boolean changed(Map<String, Dictionary<String, Object>> batch, Pipeline pipeline) {
        Enrichment enrichment = pipeline.enrichment();
        boolean any = false;
        for (Map.Entry<String, Dictionary<String, Object>> e : batch.entrySet()) {
            Map<String, Optional<AssetInfo>> changes = put(e.getKey(), valid(e.getValue()).orElse(null));
            changes.forEach(enrichment::asset);
            any |= !changes.isEmpty();
        }
        return any;
    }

    /** The registry's rule alone: this pid now holds this asset (null: none); the meters whose asset changed. */
    synchronized Map<String, Optional<AssetInfo>> put(String pid, AssetInfo asset) {
        Set<String> meters = new LinkedHashSet<>();
        AssetInfo old = byPid.get(pid);
        if (old != null) {
            meters.add(old.meterId());
        }
        if (asset != null) {
            meters.add(asset.meterId());
        }
        Map<String, Optional<AssetInfo>> before = winners(meters);
        if (old != null) {
            remove(pid, old);
        }
        if (asset != null) {
            add(pid, asset);
        }
        Map<String, Optional<AssetInfo>> after = winners(meters);
        after.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
        return after;
    }

    private void add(String pid, AssetInfo asset) {
        byPid.put(pid, asset);
        byMeter.computeIfAbsent(asset.meterId(), m -> new TreeMap<>()).put(pid, asset);
    }

    private void remove(String pid, AssetInfo asset) {
        byPid.remove(pid);
        TreeMap<String, AssetInfo> entries = byMeter.get(asset.meterId());
        entries.remove(pid);
        if (entries.isEmpty()) {
            byMeter.remove(asset.meterId());
        }
    }

    /** Each meter's asset: the one of the smallest pid that names it (a lookup, not a pass over the registry). */
    private Map<String, Optional<AssetInfo>> winners(Set<String> meters) {
        Map<String, Optional<AssetInfo>> winners = new HashMap<>();
        for (String meter : meters) {
            TreeMap<String, AssetInfo> entries = byMeter.get(meter);
            winners.put(meter, entries == null ? Optional.empty() : Optional.of(entries.firstEntry().getValue()));
        }
        return winners;
    }

    private static Optional<AssetInfo> valid(Dictionary<String, Object> properties) {
        if (properties == null) {
            return Optional.empty();
        }
        try {
            // its own component logs why it is refused; here it is only left out
            return Optional.of(AssetComponent.validate(ConfigValues.read(Converters.standardConverter()
                    .convert(properties).to(new TypeReference<Map<String, Object>>() { }),
                    AssetComponent.Config.class, NOPLogger.NOP_LOGGER)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
