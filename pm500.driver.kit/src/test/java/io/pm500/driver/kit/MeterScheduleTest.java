package io.pm500.driver.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A meter's blocks on the driver's timer: a long interval is first read within a second, and nothing is missed. */
class MeterScheduleTest {
    @Test
    void aLongIntervalIsReadWithinASecondAndItsSlotTooSoonAfterIsNotAMissedPoll() throws Exception {
        // 1.5 s after the grid's origin: the block's place in the second comes in 0.5 s, its slot (every 3 s from the
        // origin) in 1.5 s, within half an interval of that first poll
        scheduledAfterTheOrigin(1500, 3000, (polls, schedule) -> {
            Thread.sleep(3200);
            assertThat(polls).hasSize(1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(polls.get(0))).as("first read, ms after the start")
                    .isLessThan(1000);
            assertThat(schedule.missed()).isZero();
            Thread.sleep(1800);
            assertThat(polls).as("then at its slot, an interval after the one skipped").hasSize(2);
            assertThat(schedule.missed()).isZero();
        });
    }

    @Test
    void anIntervalUnderTwoSecondsWhoseSlotComesBeforeItsFirstPollMissesNothingEither() throws Exception {
        // 1.1 s after the origin: the place in the second comes in 0.9 s, the 1.2 s slot in 0.1 s and 1.3 s, both
        // within half an interval of that first poll; the next at 2.5 s is not
        scheduledAfterTheOrigin(1100, 1200, (polls, schedule) -> {
            Thread.sleep(2300);
            assertThat(polls).hasSize(1);
            assertThat(schedule.missed()).isZero();
        });
    }

    private interface Checks {
        /** @param polls when the block was polled, ns after the schedule started */
        void run(List<Long> polls, MeterSchedule schedule) throws Exception;
    }

    /** One block's schedule started {@code afterMillis} after its driver's threads (and so its grid) were made. */
    private static void scheduledAfterTheOrigin(long afterMillis, long intervalMillis, Checks checks)
            throws Exception {
        List<Long> polls = new CopyOnWriteArrayList<>();
        try (PollThreads threads = new PollThreads("test", 1, 1)) {
            Thread.sleep(afterMillis); // where in the grid's slots "now" falls is what the test is about
            long start = System.nanoTime();
            MeterSchedule schedule = MeterSchedule.start(threads, List.of(new MeterSchedule.Block("b",
                    intervalMillis, () -> polls.add(System.nanoTime() - start))), () -> false, "10.0.0.1:502");
            try {
                checks.run(polls, schedule);
            } finally {
                schedule.close();
            }
        }
    }
}
