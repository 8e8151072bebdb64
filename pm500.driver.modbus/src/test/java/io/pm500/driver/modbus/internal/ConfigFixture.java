package io.pm500.driver.modbus.internal;

import java.lang.annotation.Annotation;
import java.util.Map;
import org.osgi.util.converter.Converters;
import org.osgi.util.converter.TypeReference;

/** A meter configuration as Config Admin would hand it over, with the component's defaults. */
record ConfigFixture(String meterId, String host, int port, int unitId, String profile, String[] blockIntervals,
        int timeoutMillis, int retries, int lostAfter, int maxRegistersPerRequest, int maxGap, String wordOrder,
        boolean enabled)
        implements ModbusMeterComponent.Config {

    static ConfigFixture meter(String id, int port, String... intervals) {
        return new ConfigFixture(id, "127.0.0.1", port, 1, "pm500", intervals, 500, 0, 3, 125, 0, "", true);
    }

    ConfigFixture withLostAfter(int n) {
        return new ConfigFixture(meterId, host, port, unitId, profile, blockIntervals, timeoutMillis, retries, n,
                maxRegistersPerRequest, maxGap, wordOrder, enabled);
    }

    ConfigFixture withTimeout(int millis) {
        return new ConfigFixture(meterId, host, port, unitId, profile, blockIntervals, millis, retries, lostAfter,
                maxRegistersPerRequest, maxGap, wordOrder, enabled);
    }

    ConfigFixture withRetries(int n) {
        return new ConfigFixture(meterId, host, port, unitId, profile, blockIntervals, timeoutMillis, n, lostAfter,
                maxRegistersPerRequest, maxGap, wordOrder, enabled);
    }

    /** The properties SCR would pass: what the component reads with {@code ConfigValues}. */
    Map<String, Object> properties() {
        return Converters.standardConverter().convert(this).sourceAs(ModbusMeterComponent.Config.class)
                .to(new TypeReference<Map<String, Object>>() { });
    }

    @Override
    public String webconsole_configurationFactory_nameHint() {
        return "";
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return ModbusMeterComponent.Config.class;
    }
}
