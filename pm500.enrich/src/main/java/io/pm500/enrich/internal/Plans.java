package io.pm500.enrich.internal;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.sample.MeterPlan;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the drivers announced about each meter: its profile and the blocks each driver reads. The one owner of
 * "meter → profile" in the pipeline; a meter no driver announced (fed by a test) is read as the built-in PM500.
 */
final class Plans {
    private static final Logger LOG = LoggerFactory.getLogger(Plans.class);
    private static final DeviceProfile BUILT_IN;

    static {
        try {
            BUILT_IN = DeviceProfiles.builtIn(DeviceProfiles.PM500);
        } catch (ProfileException e) {
            throw new IllegalStateException("the built-in profile does not load: " + e.getMessage(), e);
        }
    }

    /** One meter's plans by driver, sorted so that the profile in force does not depend on start order. */
    private static final class Meter {
        final Map<String, MeterPlan> byDriver = new TreeMap<>();
        volatile DeviceProfile profile = BUILT_IN;
    }

    private final Map<String, Meter> meters = new ConcurrentHashMap<>();

    /** Keeps a driver's plan; true when it changed what the catalogue shows. */
    boolean announce(MeterPlan plan) {
        Meter meter = meters.computeIfAbsent(plan.meterId(), id -> new Meter());
        synchronized (meter) {
            MeterPlan before = meter.byDriver.put(plan.driver(), plan);
            choose(plan.meterId(), meter);
            return before == null || !before.blocks().equals(plan.blocks()) || !before.profile().equals(plan.profile());
        }
    }

    /** Forgets a driver's plan; true when there was one. */
    boolean withdraw(String meterId, String driver) {
        Meter meter = meters.get(meterId);
        if (meter == null) {
            return false;
        }
        synchronized (meter) {
            boolean had = meter.byDriver.remove(driver) != null;
            if (meter.byDriver.isEmpty()) {
                meters.remove(meterId, meter);
            } else {
                choose(meterId, meter);
            }
            return had;
        }
    }

    /** The first driver's profile (by name); drivers that disagree are a configuration fault, named once. */
    private static void choose(String meterId, Meter meter) {
        MeterPlan first = meter.byDriver.values().iterator().next();
        for (MeterPlan other : meter.byDriver.values()) {
            if (other != first && !other.profile().equals(first.profile())) {
                LOG.error("Meter {}: {} decodes it with profile '{}' and {} with '{}'; its readings are enriched by"
                        + " {}'s: give both driver configurations the same profile", meterId, first.driver(),
                        first.profile().model(), other.driver(), other.profile().model(), first.driver());
            }
        }
        meter.profile = first.profile();
    }

    /** The profile a meter's values are enriched by. Cheap: on every sample. */
    DeviceProfile profile(String meterId) {
        Meter meter = meters.get(meterId);
        return meter == null ? BUILT_IN : meter.profile;
    }

    /** The interval a driver announced for a block, -1 when none did. */
    long intervalNanos(String meterId, String blockId) {
        Meter meter = meters.get(meterId);
        if (meter == null) {
            return -1;
        }
        synchronized (meter) {
            for (MeterPlan plan : meter.byDriver.values()) {
                Duration d = plan.blocks().get(blockId);
                if (d != null) {
                    return d.toNanos();
                }
            }
        }
        return -1;
    }

    /** Every block the meter's drivers read, with its interval, in the drivers' poll order. */
    Map<String, Duration> blocks(String meterId) {
        Meter meter = meters.get(meterId);
        Map<String, Duration> out = new LinkedHashMap<>();
        if (meter != null) {
            synchronized (meter) {
                meter.byDriver.values().forEach(p -> p.blocks().forEach(out::putIfAbsent));
            }
        }
        return out;
    }

    /** The meters announced and not withdrawn, sorted. */
    List<String> meters() {
        List<String> ids = new ArrayList<>(meters.keySet());
        ids.sort(null);
        return ids;
    }
}
