package io.pm500.api.status;

import io.pm500.api.sample.AcquisitionStatus;
import java.util.Map;

/**
 * Polls of one block of a meter by their result, since the driver started the meter. A result that never happened
 * is absent.
 *
 * @param blockId the profile block
 * @param results how many polls ended with each result
 */
public record BlockPolls(String blockId, Map<AcquisitionStatus, Long> results) {

    public BlockPolls {
        if (blockId == null) {
            throw new IllegalArgumentException("block polls need a blockId");
        }
        results = results == null ? Map.of() : Map.copyOf(results);
    }
}
