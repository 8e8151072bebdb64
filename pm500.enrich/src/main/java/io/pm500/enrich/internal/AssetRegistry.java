package io.pm500.enrich.internal;

import io.pm500.kit.config.ConfigValues;
import java.io.IOException;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Map;
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
 * enriched without its asset would carry the meter id and no CT/VT scaling).
 */
final class AssetRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(AssetRegistry.class);

    private AssetRegistry() {
    }

    /** The valid asset configurations by meter id; an invalid one is left out (its component says why). */
    static Map<String, AssetInfo> read(ConfigurationAdmin configAdmin) {
        Configuration[] configs;
        try {
            configs = configAdmin.listConfigurations("(service.factoryPid=" + AssetComponent.PID + ")");
        } catch (IOException | InvalidSyntaxException e) {
            LOG.error("Cannot read the asset configurations ({}); meters are published under their meter ids until"
                    + " an asset configuration changes", e.toString());
            return Map.of();
        }
        Map<String, AssetInfo> byMeter = new HashMap<>();
        for (Configuration c : configs == null ? new Configuration[0] : configs) {
            Dictionary<String, Object> properties = c.getProperties();
            if (properties == null) {
                continue;
            }
            AssetInfo a;
            try {
                // its own component logs why it is refused; here it is only left out
                a = AssetComponent.validate(ConfigValues.read(Converters.standardConverter().convert(properties)
                        .to(new TypeReference<Map<String, Object>>() { }), AssetComponent.Config.class,
                        NOPLogger.NOP_LOGGER));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (byMeter.putIfAbsent(a.meterId(), a) != null) {
                LOG.error("Two assets name meter '{}'; one is ignored: remove one", a.meterId());
            }
        }
        return byMeter;
    }
}
