package io.pm500.driver.cip.internal;

import io.pm500.api.sample.Sample;
import io.pm500.driver.cip.internal.CipSettings.BlockPlan;
import java.util.List;

/** Polls one block by hand and returns its sample (a session opened on the way also hands on the identity). */
final class Polls {
    private Polls() {
    }

    static Sample poll(CipPoller poller, CipSettings settings, List<Sample> samples, String blockId) {
        BlockPlan block = settings.blocks().stream().filter(b -> b.blockId().equals(blockId)).findFirst()
                .orElseThrow();
        int before = samples.size();
        poller.poll(block);
        return samples.subList(before, samples.size()).stream().filter(x -> x.blockId().equals(blockId))
                .findFirst().orElseThrow(() -> new AssertionError("no sample of " + blockId));
    }
}
