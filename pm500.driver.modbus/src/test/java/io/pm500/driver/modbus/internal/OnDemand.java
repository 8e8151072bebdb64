package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.sample.Sample;
import io.pm500.driver.modbus.internal.MeterSettings.BlockPlan;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Polls a meter's block on its loop when a test says so (no timers), and waits for what the poll delivers. */
final class OnDemand {
    private OnDemand() {
    }

    static BlockPlan block(MeterSettings s, String id) {
        return s.blocks().stream().filter(b -> b.blockId().equals(id)).findFirst().orElseThrow();
    }

    /** One poll of {@code block}, which must deliver exactly one sample (within 30 s: the longest test's retries). */
    static Sample pollOnce(ModbusLoop loop, MeterPoller poller, BlockPlan block, List<Sample> samples)
            throws InterruptedException {
        int before = samples.size();
        loop.execute(() -> poller.poll(block));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (samples.size() == before && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        barrier(loop); // what the loop was doing when the sample came is done: a second sample would show now
        assertThat(samples).as("one poll, one sample").hasSize(before + 1);
        return samples.get(before);
    }

    /** One poll of {@code block} that has nothing to do: it returns on the loop without a request. */
    static void pollQuiet(ModbusLoop loop, MeterPoller poller, BlockPlan block) throws InterruptedException {
        loop.execute(() -> poller.poll(block));
        barrier(loop);
    }

    /** Waits until the loop has run everything handed to it before. */
    private static void barrier(ModbusLoop loop) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(done::countDown);
        assertThat(done.await(5, TimeUnit.SECONDS)).as("the loop answers").isTrue();
    }
}
