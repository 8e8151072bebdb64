package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.sample.Value;
import io.pm500.api.status.ConnectionState;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The loop's timers: in time order, a pushed-back time-out not early, a cancelled one never, tasks from anywhere; busy
 * rounds pause to gather only when events come often enough for a pause to gather any; a round's samples go to the
 * pipeline together.
 */
class ModbusLoopTest {
    private final List<String> fired = new CopyOnWriteArrayList<>();
    private final ModbusLoop loop;

    ModbusLoopTest() throws Exception {
        loop = new ModbusLoop("test-modbus-io");
    }

    @AfterEach
    void stop() throws InterruptedException {
        loop.close();
    }

    private ModbusLoop.Timer timer(String name, CountDownLatch done) {
        return new ModbusLoop.Timer() {
            @Override
            void expired(long nowNanos) {
                fired.add(name);
                done.countDown();
            }
        };
    }

    private static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void timersExpireInTimeOrderAndAPushedBackOneAtItsNewTime() throws Exception {
        CountDownLatch done = new CountDownLatch(3);
        ModbusLoop.Timer a = timer("a", done);
        ModbusLoop.Timer b = timer("b", done);
        ModbusLoop.Timer c = timer("c", done);
        long[] pushedAt = new long[1];
        loop.execute(() -> {
            loop.at(c, in(150));
            loop.at(a, in(50));
            loop.at(b, in(100));
            loop.at(a, pushedAt[0] = in(250)); // a time-out pushed back by a new request: no removal, not early
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fired).containsExactly("b", "c", "a");
        assertThat(System.nanoTime()).isGreaterThanOrEqualTo(pushedAt[0]);
    }

    /** A timer that comes due every {@code periodMicros} on a fixed schedule, as the meters' polls do. */
    private ModbusLoop.Timer every(long periodMicros) {
        return new ModbusLoop.Timer() {
            private long next = System.nanoTime();

            @Override
            void expired(long nowNanos) {
                next += TimeUnit.MICROSECONDS.toNanos(periodMicros);
                loop.at(this, next);
            }
        };
    }

    @Test
    void busyRoundsGatherOnlyFromTwoThousandEventsASecond() throws Exception {
        ModbusLoop.Timer slow = every(20_000); // 50 a second: 50 meters' polls
        loop.execute(() -> loop.at(slow, System.nanoTime()));
        Thread.sleep(2_200); // two of the loop's one-second rate windows: an absence, so it takes the time
        assertThat(loop.gathering()).as("50 events a second").isFalse();

        ModbusLoop.Timer fast = every(200); // 5,000 a second
        loop.execute(() -> loop.at(fast, System.nanoTime()));
        assertThat(gatheringBecomes(true)).as("5,050 events a second").isTrue();

        loop.execute(() -> loop.cancel(fast));
        assertThat(gatheringBecomes(false)).as("50 a second again").isTrue();
    }

    /** Whether the loop's gathering turns {@code wanted} within 5 s (a rate window is one second). */
    private boolean gatheringBecomes(boolean wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (loop.gathering() != wanted) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Test
    void aCancelledTimerDoesNotExpireAndAnEarlierTimeReplacesALaterOne() throws Exception {
        CountDownLatch done = new CountDownLatch(2);
        ModbusLoop.Timer cancelled = timer("cancelled", new CountDownLatch(1));
        ModbusLoop.Timer earlier = timer("earlier", done);
        ModbusLoop.Timer last = timer("last", done);
        loop.execute(() -> {
            loop.at(cancelled, in(50));
            loop.cancel(cancelled);
            loop.at(earlier, in(5_000));
            loop.at(earlier, in(60)); // moved earlier: it must not wait for its first time
            loop.at(last, in(200));
        });
        assertThat(done.await(2, TimeUnit.SECONDS)).as("the earlier time counts").isTrue();
        assertThat(fired).containsExactly("earlier", "last");
    }

    /** Records what a pipeline is told, in order; refuses the rounds it is told to. */
    private static final class Recorder implements SampleConsumer {
        final List<String> told = new CopyOnWriteArrayList<>();
        volatile boolean refuse;

        @Override
        public void accept(Sample sample) {
            told.add("sample " + sample.meterId());
        }

        @Override
        public void accept(List<Sample> samples) {
            if (refuse) {
                refuse = false;
                throw new IllegalStateException("outbox cannot be written");
            }
            told.add("round " + samples.stream().map(Sample::meterId).toList());
        }

        @Override
        public void announce(MeterPlan plan) {
            told.add("plan " + plan.meterId());
        }

        @Override
        public void connection(String meterId, String driver, ConnectionState state) {
            told.add(state + " " + meterId);
        }

        @Override
        public void withdraw(String meterId, String driver) {
            told.add("withdraw " + meterId);
        }
    }

    private static Sample sample(String meterId) {
        return Sample.ok(meterId, "status", Instant.now(), List.of(new PointValue("alarms.virtual", Value.of(1L))));
    }

    /**
     * Issue 23: the samples a round delivers reach the pipeline together (one write per outbox), ahead of what the
     * meters say next; a refused round does not hold up the next; samples from other threads go at once; a driver
     * stopping waits until the loop has handed over what it delivered.
     */
    @Test
    void aRoundsSamplesReachThePipelineTogetherAndBeforeWhatTheMetersSayNext() throws Exception {
        Recorder pipeline = new Recorder();
        LoopConsumer m = new LoopConsumer(loop, pipeline);
        loop.execute(() -> {
            m.accept(sample("m1"));
            m.accept(sample("m2"));
            m.connection("m3", "d", ConnectionState.LOST);
            m.accept(sample("m3"));
        });
        loop.handedOver();
        assertThat(pipeline.told).containsExactly("round [m1, m2]", "LOST m3", "round [m3]");

        pipeline.told.clear();
        pipeline.refuse = true;
        loop.execute(() -> m.accept(sample("m4")));
        loop.handedOver();
        loop.execute(() -> m.accept(sample("m5")));
        m.accept(sample("m6")); // not the loop's thread: straight to the pipeline
        loop.handedOver();
        assertThat(pipeline.told).as("m4's round refused, logged; m5's taken").contains("sample m6")
                .containsSubsequence("round [m5]").doesNotContain("round [m4]");
    }
}
