package io.pm500.api.reading;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What the pipeline knows of the meters before their readings: which meters the drivers read, where each sits (its
 * asset), and what each publishes, from its device profile, the blocks its drivers read, the unit overrides and the
 * derived metrics. A sink that must declare a meter's metrics up front (a Sparkplug DBIRTH) asks here instead of
 * waiting for every block's first reading. The pipeline hands it to each sink ({@link io.pm500.api.sink.Sink#catalog})
 * and registers it as a service for views.
 */
@ProviderType
public interface MeterCatalog {

    /** The meters the drivers read now (announced, not withdrawn), sorted. */
    List<String> meterIds();

    /** Every configured and valid asset, by meter id order; a meter without one is published under its meter id. */
    List<MeterAsset> assets();

    /**
     * The metrics of a meter, in profile order, derived metrics last; empty when no driver reports the meter.
     * Cheap enough to call once per meter and session, not per reading.
     */
    List<MetricInfo> metrics(String meterId);

    /**
     * The newest reading of every metric of a meter the pipeline has made since it started (a value read once per
     * connection included), whatever its quality; empty for a meter it has not seen. A sink that publishes a meter's
     * whole state at once (a Sparkplug DBIRTH after a reconfiguration) starts from here. Cheap: no copy of values.
     */
    List<EnrichedReading> newest(String meterId);
}
