package io.pm500.api.status;

import io.pm500.api.reading.Quality;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service: each driver reports its meters, the pipeline its sinks, the fleet agent its releases. Readers (status page,
 * health endpoint) collect every registered source. Implementations return a consistent snapshot cheaply
 * and never block: readers may call them on every HTTP request.
 */
@ConsumerType
public interface StatusSource {

    default List<MeterStatus> meters() {
        return List.of();
    }

    default List<SinkStatus> sinks() {
        return List.of();
    }

    /** The fleet agent's state; empty from every source but the agent (and without one). */
    default Optional<FleetStatus> fleet() {
        return Optional.empty();
    }

    /**
     * Configurations this source refused and why (a driver's meters, the assets): they are handed to the source
     * directly by Config Admin, so no component shows their failure.
     */
    default List<RefusedConfiguration> refusedConfigurations() {
        return List.of();
    }

    /** Readings the pipeline has made since it started, by quality (absent: none of that quality). */
    default Map<Quality, Long> readings() {
        return Map.of();
    }
}
