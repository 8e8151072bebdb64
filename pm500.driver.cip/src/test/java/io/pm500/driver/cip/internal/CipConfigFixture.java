package io.pm500.driver.cip.internal;

import java.lang.annotation.Annotation;
import java.util.Map;
import org.osgi.util.converter.Converters;
import org.osgi.util.converter.TypeReference;

/** A meter configuration as Config Admin would hand it over, with the component's defaults. */
record CipConfigFixture(String meterId, String host, int port, String profile, String[] blockIntervals,
        String messaging, int timeoutMillis, int lostAfter, String identityCheck, boolean enabled, boolean ioMulticast)
        implements CipMeterComponent.Config {

    CipConfigFixture(String meterId, String host, int port, String profile, String[] blockIntervals,
            String messaging, int timeoutMillis, int lostAfter, String identityCheck, boolean enabled) {
        this(meterId, host, port, profile, blockIntervals, messaging, timeoutMillis, lostAfter, identityCheck, enabled,
                false);
    }

    CipConfigFixture multicast() {
        return new CipConfigFixture(meterId, host, port, profile, blockIntervals, messaging, timeoutMillis, lostAfter,
                identityCheck, enabled, true);
    }

    static CipConfigFixture meter(String id, int port, String messaging, String... intervals) {
        return new CipConfigFixture(id, "127.0.0.1", port, "pm500", intervals, messaging, 500, 3, "error", true);
    }

    CipConfigFixture withLostAfter(int n) {
        return new CipConfigFixture(meterId, host, port, profile, blockIntervals, messaging, timeoutMillis, n,
                identityCheck, enabled);
    }

    CipConfigFixture withProfile(String p, String check) {
        return new CipConfigFixture(meterId, host, port, p, blockIntervals, messaging, timeoutMillis, lostAfter, check,
                enabled);
    }

    /** The properties SCR would pass: what the component reads with {@code ConfigValues}. */
    Map<String, Object> properties() {
        return Converters.standardConverter().convert(this).sourceAs(CipMeterComponent.Config.class)
                .to(new TypeReference<Map<String, Object>>() { });
    }

    @Override
    public int ioTimeoutMultiplier() {
        return 4;
    }

    @Override
    public String webconsole_configurationFactory_nameHint() {
        return "";
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return CipMeterComponent.Config.class;
    }
}
