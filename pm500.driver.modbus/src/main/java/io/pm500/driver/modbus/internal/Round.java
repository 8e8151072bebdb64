package io.pm500.driver.modbus.internal;

import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The samples a loop's round delivers, handed to the pipeline together when the round ends ({@link
 * SampleConsumer#accept(List)}): one write per outbox for the round instead of one per sample. A refusal is logged
 * when it starts, summarised each minute while it lasts, and when it ends. Loop thread only.
 */
final class Round {
    private static final Logger LOG = LoggerFactory.getLogger(Round.class);
    private static final long SUMMARY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String loopName;
    private final List<Sample> samples = new ArrayList<>();
    private SampleConsumer to;
    /** Rounds refused (wholly or in part) since the refusals began (0: none), and since the last summary. */
    private long refused;
    private long refusedSinceSummary;
    private long summaryAt;

    Round(String loopName) {
        this.loopName = loopName;
    }

    /** A sample for {@code pipeline}; the round's samples for another pipeline (one being replaced) go first. */
    void add(SampleConsumer pipeline, Sample sample) {
        if (pipeline != to) {
            handOver();
            to = pipeline;
        }
        samples.add(sample);
    }

    /** Hands the round's samples over. */
    void handOver() {
        if (samples.isEmpty()) {
            return;
        }
        try {
            to.accept(samples);
            if (refused > 0) {
                LOG.info("Modbus driver: loop {}: the pipeline takes samples again ({} rounds refused in whole or in"
                        + " part meanwhile)", loopName, refused);
                refused = 0;
            }
        } catch (RuntimeException e) {
            refusedSince(e);
        } finally {
            samples.clear();
        }
    }

    private void refusedSince(RuntimeException e) {
        long now = System.nanoTime();
        if (refused == 0) {
            // the exception names the samples not taken: one bad sample does not keep the others out
            LOG.error("Modbus driver: loop {}: the pipeline did not take a round of {} samples (meters {}) in whole"
                    + " or in part: {}", loopName, samples.size(),
                    samples.stream().map(Sample::meterId).distinct().limit(10).toList(), e.toString());
            summaryAt = now;
            refusedSinceSummary = 0;
        } else {
            refusedSinceSummary++;
            if (now - summaryAt >= SUMMARY_NANOS) {
                LOG.warn("Modbus driver: loop {}: the pipeline still refuses: {} rounds in the last minute; last: {}",
                        loopName, refusedSinceSummary, e.toString());
                summaryAt = now;
                refusedSinceSummary = 0;
            }
        }
        refused++;
    }
}
