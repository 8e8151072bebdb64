package io.pm500.driver.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One meter's polls: one at a time, on the lane its health chooses, never in a burst. */
class MeterQueueTest {
    private final ExecutorService fast = Executors.newSingleThreadExecutor(r -> new Thread(r, "fast"));
    private final ExecutorService slowLane = Executors.newSingleThreadExecutor(r -> new Thread(r, "slow"));
    private final AtomicBoolean slow = new AtomicBoolean();
    private final List<String> ran = new CopyOnWriteArrayList<>();
    private final MeterQueue queue = new MeterQueue(fast, slowLane, slow::get);

    @AfterEach
    void stop() {
        fast.shutdownNow();
        slowLane.shutdownNow();
    }

    private Runnable poll(String what) {
        return () -> ran.add(what + "@" + Thread.currentThread().getName());
    }

    private void await(int polls) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ran.size() < polls && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50); // nothing more may follow
    }

    @Test
    void aPromptMeterRunsOnTheFastLaneASlowOneOnTheSlowLane() throws Exception {
        queue.submit("a", poll("a"), 0);
        await(1);
        slow.set(true);
        queue.submit("a", poll("a"), 0);
        await(2);
        assertThat(ran).containsExactly("a@fast", "a@slow");
    }

    @Test
    void aMeterThatTurnsSlowHandsTheRestOfItsQueueToTheSlowLane() throws Exception {
        fast.submit(() -> sleep(100)); // hold the fast lane so that three polls queue up behind it
        queue.submit("a", () -> {
            ran.add("a@" + Thread.currentThread().getName());
            slow.set(true); // timed out, say
        }, 0);
        queue.submit("b", poll("b"), 0);
        queue.submit("c", poll("c"), 0);
        await(3);
        assertThat(ran).containsExactly("a@fast", "b@slow", "c@slow");
    }

    @Test
    void aLatePollIsNotFollowedByAnEarlyOneOfTheSameBlock() throws Exception {
        long halfInterval = TimeUnit.MILLISECONDS.toNanos(300);
        queue.submit("energy", poll("energy"), halfInterval);
        await(1);
        queue.submit("energy", poll("energy"), halfInterval); // the schedule's next tick, right after a late poll
        queue.submit("status", poll("status"), halfInterval); // another block is not held back
        await(2);
        assertThat(ran).containsExactly("energy@fast", "status@fast");
        assertThat(queue.missed()).isEqualTo(1);
        Thread.sleep(300);
        queue.submit("energy", poll("energy"), halfInterval);
        await(3);
        assertThat(ran).hasSize(3).last().isEqualTo("energy@fast");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
