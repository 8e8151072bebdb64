package io.pm500.driver.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Blocks with the same period share slots of up to 50 polls; slots open far apart and fill evenly. */
class PollGridTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final int SLOT = PollGrid.POLLS_PER_SLOT;
    private final PollGrid grid = new PollGrid();
    private int meters;

    @Test
    void slotsOpenInTheLargestGapLeft() {
        assertThat(PollGrid.positions(8)).containsExactly(0, 4, 2, 6, 1, 5, 3, 7);
        assertThat(PollGrid.positions(1)).containsExactly(0);
        for (int n : new int[] { 2, 3, 100, 600, 1000 }) {
            assertThat(PollGrid.positions(n)).as("n=%d", n).containsExactlyInAnyOrder(IntStream.range(0, n).toArray());
        }
        assertThat(PollGrid.positionCount(1000)).isEqualTo(100);
        assertThat(PollGrid.positionCount(5)).isEqualTo(1);
        assertThat(PollGrid.positionCount(3_600_000)).isEqualTo(PollGrid.MAX_POSITIONS);
    }

    @Test
    void aSmallFleetPollsTogetherAndALargeOneInEvenSlots() {
        assertThat(join(SLOT, 1000)).extracting(PollGrid.Slot::position).containsOnly(0);
        assertThat(join(1, 1000).get(0).position()).as("a second slot, half a second on").isEqualTo(64);

        join(2000 - SLOT - 1, 1000);
        int[] members = grid.members(1000);
        int slots = 2000 / SLOT;
        int[] first = Arrays.copyOf(PollGrid.positions(100), slots);
        assertThat(IntStream.range(0, 100).filter(p -> members[p] > 0).toArray()).containsExactlyInAnyOrder(first);
        for (int p : first) {
            assertThat(members[p]).as("position %d", p).isEqualTo(SLOT);
        }
        // another period has slots of its own
        assertThat(join(1, 5000).get(0).position()).isZero();
    }

    @Test
    void aBlockThatLeavesMakesRoomAndIsNoLongerCounted() {
        int half = SLOT / 2;
        List<PollGrid.Slot> slots = join(SLOT + half, 1000);
        assertThat(grid.members(1000)[64]).isEqualTo(half); // the second slot opened: 640 ms
        PollGrid.Slot first = slots.get(0);
        slots.subList(SLOT, SLOT + half - 5).forEach(grid::leave);
        slots.subList(0, half).forEach(grid::leave);
        assertThat(grid.members(1000)[0]).isEqualTo(SLOT - half);
        assertThat(grid.join(1000, "late").position()).as("the emptier slot, though one would do").isEqualTo(64);
        assertThatThrownBy(() -> grid.leave(new PollGrid.Slot(1000, 3, "m0"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a member");
        slots.subList(half, SLOT).forEach(grid::leave);
        slots.subList(SLOT + half - 5, SLOT + half).forEach(grid::leave);
        grid.leave(new PollGrid.Slot(1000, 64, "late"));
        assertThat(grid.members(1000)).containsOnly(0);
        assertThatThrownBy(() -> grid.leave(first)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> grid.join(0, "m0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pollsOfASlotFallDueTogetherAtAFixedRate() {
        PollGrid.Slot a = grid.join(1000, "a");
        long now = System.nanoTime();
        PollGrid.Slot b = grid.join(1000, "b");
        long first = grid.firstNanos(a, now);
        assertThat(first - now).isBetween(0L, SECOND - 1);
        assertThat(Math.floorMod(grid.firstNanos(b, now + 123_456) - first, SECOND)).as("same slot, same instants")
                .isZero();
        assertThat(grid.nextNanos(a, first)).isEqualTo(first + SECOND);
        assertThat(grid.nextNanos(a, first - 1)).isEqualTo(first);
        assertThat(grid.nextNanos(a, first + 5 * SECOND + 7)).as("held up: what passed is skipped")
                .isEqualTo(first + 6 * SECOND);
    }

    @Test
    void aLongPeriodIsFirstPolledWithinASecondThenAtItsSlot() {
        long minute = TimeUnit.MINUTES.toNanos(1);
        List<PollGrid.Slot> slots = join(SLOT + 1, 60_000);
        PollGrid.Slot second = slots.get(SLOT); // the second slot: half the minute from the first
        long now = System.nanoTime();
        long first = grid.firstNanos(second, now);
        long next = grid.nextNanos(second, now - 1);
        assertThat(first - now).isBetween(0L, SECOND - 1);
        assertThat(next - now).isBetween(0L, minute - 1);
        assertThat(Math.floorMod(next - first, SECOND)).as("the same place in the second").isZero();
        long slot0 = grid.nextNanos(slots.get(0), now - 1);
        assertThat(Math.floorMod(next - slot0, minute)).isEqualTo(minute / 1000 * 512);
    }

    @Test
    void blocksSentToOneAddressAreKeptApartWhileThereAreSlots() {
        // 8 meters behind one Modbus gateway among 40 of their own: the gateway's in 8 slots, 0, 1/2, 1/4 ... apart
        List<PollGrid.Slot> gateway = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            gateway.add(grid.join(1000, "10.0.0.9:502"));
        }
        assertThat(gateway).extracting(PollGrid.Slot::position).containsExactly(0, 64, 32, 96, 16, 80, 48, 8);
        join(40, 1000);
        assertThat(Arrays.stream(grid.members(1000)).sum()).isEqualTo(48);
        // two blocks of one meter at the same rate: apart too
        assertThat(grid.join(1000, "m0").position()).isNotEqualTo(0);
        // an address holding every place shares the emptiest
        PollGrid one = new PollGrid();
        for (int i = 0; i < 3; i++) {
            one.join(20, "a");
        }
        assertThat(one.members(20)).containsExactly(2, 1);
        gateway.forEach(grid::leave);
        assertThatThrownBy(() -> grid.leave(gateway.get(0))).isInstanceOf(IllegalStateException.class);
    }

    /** Blocks of as many meters, each at an address of its own (m0, m1 ... in the order they join). */
    private List<PollGrid.Slot> join(int blocks, long periodMillis) {
        List<PollGrid.Slot> slots = new ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            slots.add(grid.join(periodMillis, "m" + meters++));
        }
        return slots;
    }
}
