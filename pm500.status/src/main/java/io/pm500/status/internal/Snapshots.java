package io.pm500.status.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.Quality;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.RefusedConfiguration;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.FleetStatus;
import io.pm500.api.status.StatusSource;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * What the page, the metrics, the health checks and the charts read: every registered {@link StatusSource} and the
 * pipeline's newest readings, in one place. Every call answers from the sources' in-memory snapshots.
 */
@Component(service = Snapshots.class)
public final class Snapshots {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<StatusSource> sources;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MeterCatalog catalog;

    /** Every meter of every driver, by id. */
    List<MeterStatus> meters() {
        return sources().stream().flatMap(s -> s.meters().stream()).sorted(Comparator.comparing(MeterStatus::meterId))
                .toList();
    }

    /** Every sink, by name. */
    List<SinkStatus> sinks() {
        return sources().stream().flatMap(s -> s.sinks().stream()).sorted(Comparator.comparing(SinkStatus::sinkName))
                .toList();
    }

    /** The fleet agent's state; empty without an agent configured. */
    Optional<FleetStatus> fleet() {
        return sources().stream().map(StatusSource::fleet).flatMap(Optional::stream).findFirst();
    }

    /** Configurations handed straight to a source (meters, assets) and refused by it, by pid. */
    List<RefusedConfiguration> refusedConfigurations() {
        return sources().stream().flatMap(s -> s.refusedConfigurations().stream())
                .sorted(Comparator.comparing(RefusedConfiguration::pid)).toList();
    }

    /** Readings made since start, by quality. */
    Map<Quality, Long> readings() {
        Map<Quality, Long> byQuality = new EnumMap<>(Quality.class);
        sources().forEach(s -> s.readings().forEach((q, n) -> byQuality.merge(q, n, Long::sum)));
        return byQuality;
    }

    /** The meter's newest reading of every metric; empty before the first or without a pipeline. */
    List<EnrichedReading> newest(String meterId) {
        MeterCatalog c = catalog;
        return c == null ? List.of() : c.newest(meterId);
    }

    /** The meter's asset, from its readings (the asset registry's); its id until it has one. */
    static String asset(String meterId, List<EnrichedReading> newest) {
        return newest.isEmpty() ? meterId : newest.get(0).asset();
    }

    private List<StatusSource> sources() {
        List<StatusSource> all = sources;
        return all == null ? List.of() : all;
    }
}
