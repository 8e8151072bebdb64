package io.pm500.enrich.internal;

import io.pm500.api.status.RefusedConfiguration;
import io.pm500.api.status.StatusSource;
import io.pm500.kit.config.ConfigValues;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ManagedServiceFactory;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asset registry's entries, a factory configuration {@code pm500.asset~<name>} per meter: this component gives
 * them their form in the Web Console and, handed each one by Config Admin as a {@link ManagedServiceFactory} (not a
 * component per asset: see {@code MeterConfigurations} in the driver kit), refuses a bad one with the fix, in the
 * log and in the operator view ({@link #refusedConfigurations}). The pipeline reads the registry itself from Config
 * Admin with {@link #validate}.
 */
@Component(configurationPid = AssetComponent.PID, configurationPolicy = ConfigurationPolicy.IGNORE,
        service = { ManagedServiceFactory.class, StatusSource.class }, immediate = true,
        property = Constants.SERVICE_PID + "=" + AssetComponent.PID)
@Designate(ocd = AssetComponent.Config.class, factory = true)
public final class AssetComponent implements ManagedServiceFactory, StatusSource {
    static final String PID = "pm500.asset";
    private static final Logger LOG = LoggerFactory.getLogger(AssetComponent.class);

    @ObjectClassDefinition(name = "PM500 asset", description = "What one meter measures and where: site, area,"
            + " asset id, instrument transformer ratios. Add one per meter; meters without one are published under"
            + " their meter id.")
    public @interface Config {
        @AttributeDefinition(name = "Meter id", description = "The meter id used in the driver configuration.")
        String meterId();

        @AttributeDefinition(name = "Site", description = "Site id, e.g. plant-north.")
        String site() default "";

        @AttributeDefinition(name = "Area", description = "Area within the site, e.g. press-shop.")
        String area() default "";

        @AttributeDefinition(name = "Asset id", description = "What the meter measures, e.g. feeder-12; the meter"
                + " id when empty.")
        String asset() default "";

        @AttributeDefinition(name = "Description")
        String description() default "";

        @AttributeDefinition(name = "Tags", description = "Free labels.")
        String[] tags() default {};

        @AttributeDefinition(name = "CT ratio", description = "Current transformer ratio (primary / secondary),"
                + " applied only to points the device profile marks as CT-secondary. 1 = none.")
        double ctRatio() default 1;

        @AttributeDefinition(name = "VT ratio", description = "Voltage transformer ratio, applied only to points the"
                + " device profile marks as VT-secondary. 1 = none.")
        double vtRatio() default 1;

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "Asset of meter {meterId}: {site}/{area}/{asset}";
    }

    private final Map<String, RefusedConfiguration> refused = new ConcurrentHashMap<>();

    @Override
    public String getName() {
        return "PM500 assets";
    }

    @Override
    public void updated(String pid, Dictionary<String, ?> properties) {
        try {
            ConfigValues.checked(properties, Config.class, AssetComponent::validate, LOG);
            refused.remove(pid);
        } catch (IllegalArgumentException e) {
            refused.put(pid, new RefusedConfiguration(PID, pid, e.getMessage()));
        }
    }

    @Override
    public void deleted(String pid) {
        refused.remove(pid);
    }

    @Override
    public List<RefusedConfiguration> refusedConfigurations() {
        return List.copyOf(refused.values());
    }

    static AssetInfo validate(Config c) {
        String meterId = Objects.requireNonNullElse(c.meterId(), "").trim();
        if (meterId.isEmpty()) {
            throw new IllegalArgumentException("asset configuration: meterId is empty; set it to the meter id of the"
                    + " driver configuration");
        }
        String where = "asset of meter '" + meterId + "'";
        if (!isRatio(c.ctRatio()) || !isRatio(c.vtRatio())) {
            throw new IllegalArgumentException(where + ": CT and VT ratios must be positive numbers (1 = none),"
                    + " got ctRatio=" + c.ctRatio() + ", vtRatio=" + c.vtRatio());
        }
        String asset = c.asset().isBlank() ? meterId : c.asset().trim();
        return new AssetInfo(meterId, c.site().trim(), c.area().trim(), asset, c.description(),
                Arrays.asList(c.tags()), c.ctRatio(), c.vtRatio());
    }

    private static boolean isRatio(double r) {
        return r > 0 && !Double.isInfinite(r);
    }
}
