package io.pm500.api.sample;

import io.pm500.api.profile.DeviceProfile;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What one driver reads of one meter, announced to the {@link SampleConsumer} before the meter's first sample: the
 * meter is the driver's to describe (one owner of its profile and poll plan), the pipeline keeps the announcement
 * until the driver withdraws it. Made with {@link #of}; an interface, so that a later fact does not break callers.
 */
@ProviderType
public interface MeterPlan {

    /** The configured meter id. */
    String meterId();

    /** The driver's bundle symbolic name, e.g. {@code pm500.driver.modbus}; a meter may be read by several. */
    String driver();

    /** The device profile the driver decodes the meter with; the pipeline enriches the meter's values by it. */
    DeviceProfile profile();

    /**
     * The profile blocks the driver reads, in poll order, each with how often: {@link Duration#ZERO} means once
     * when a connection opens (identity), so no new sample while the connection lasts is normal.
     */
    Map<String, Duration> blocks();

    static MeterPlan of(String meterId, String driver, DeviceProfile profile, Map<String, Duration> blocks) {
        Names.requireText(meterId, "meterId");
        Names.requireText(driver, "driver");
        if (profile == null || blocks == null) {
            throw new IllegalArgumentException("the plan of meter '" + meterId + "' needs a profile and blocks");
        }
        blocks.forEach((block, interval) -> {
            Names.requireText(block, "block of meter " + meterId);
            if (interval == null || interval.isNegative()) {
                throw new IllegalArgumentException("block '" + block + "' of meter '" + meterId
                        + "' needs an interval ≥ 0, got " + interval);
            }
        });
        return new Plan(meterId, driver, profile, Collections.unmodifiableMap(new LinkedHashMap<>(blocks)));
    }
}

/** The one implementation; package-private so that only {@link MeterPlan#of} makes plans. */
record Plan(String meterId, String driver, DeviceProfile profile, Map<String, Duration> blocks) implements MeterPlan {
}
