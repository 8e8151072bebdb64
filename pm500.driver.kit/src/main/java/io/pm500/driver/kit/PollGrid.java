package io.pm500.driver.kit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where in its period each block of a driver's meters is polled: blocks with the same period are put in slots of up
 * to {@value #POLLS_PER_SLOT}, whose polls fall due together, so that one wake-up of the driver's thread sends them,
 * their replies are read in a few, and the pipeline's couriers take them as one batch. Each poll due on its own cost
 * a dozen system calls and thread switches (load program, 50 meters: 4.4 % of a core with first polls spread at
 * random over the second, 1.5 % with all of them together). A slot is opened only when the open ones are full, as
 * far as possible from them ({@link #positions}: 0, ½, ¼, ¾ … of the period), and a block joins the open slot with
 * the fewest members, so large fleets stay spread evenly over the period. Blocks that go to one address (several
 * meters behind one Modbus gateway, several blocks of one meter) are put in different slots while there are any,
 * so that a serial gateway is not sent a burst it can only answer one by one. Slots are times in the period counted
 * from the grid's creation; a block's polls keep their slot at a fixed rate. A block's first poll comes within a
 * second whatever its period (a block read every minute is not first read a minute after the meter is configured):
 * at its slot's place in the second, shared with the 1 s blocks'; its later polls at its slot. Thread-safe.
 */
public final class PollGrid {
    /**
     * A slot's size: its wake-ups are shared among enough polls that each costs little more, and its burst is short
     * (load program, 500 meters: slots of 100 cost 4.8 % of a core with a p99 latency of 62 ms, slots of 50 6.0-6.1 %
     * and 28-29 ms, polls at random times 10.5-11.7 % and 27-37 ms).
     */
    public static final int POLLS_PER_SLOT = 50;
    /** The finest spacing of slots: 100 places in a 1 s period, at most {@value #MAX_POSITIONS} in a longer one. */
    static final long MIN_SPACING_MILLIS = 10;
    static final int MAX_POSITIONS = 1000;
    private static final long FIRST_POLL_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A block's place: its period, the slot (a position in the period) its polls fall due in, and its address. */
    public record Slot(long periodMillis, int position, String address) {
    }

    /** The slots of one period: their members, the order in which they open and the slots each address holds. */
    private static final class Period {
        final int[] members;
        final int[] order;
        final Map<String, List<Integer>> held = new HashMap<>();
        int total;

        Period(int positions) {
            members = new int[positions];
            order = positions(positions);
        }
    }

    private final long originNanos = System.nanoTime();
    private final Map<Long, Period> periods = new HashMap<>();

    /**
     * A slot for a block polled every {@code periodMillis} that sends its requests to {@code address} (host and
     * port): of the slots open — as many as the period's blocks need, and any that still has members after others
     * left — the one with the fewest members that holds no other block of the address; when each open one does, the
     * next slot to open that does not; when every slot does, the open one with the fewest members.
     */
    public synchronized Slot join(long periodMillis, String address) {
        if (periodMillis <= 0) {
            throw new IllegalArgumentException("a block's period must be positive: " + periodMillis + " ms");
        }
        Period p = periods.computeIfAbsent(periodMillis, k -> new Period(positionCount(k)));
        List<Integer> held = p.held.getOrDefault(address, List.of());
        int needed = p.total / POLLS_PER_SLOT + 1;
        int best = -1;
        int unopened = -1;
        int fewest = p.order[0];
        for (int i = 0; i < p.order.length; i++) {
            int position = p.order[i];
            boolean open = i < needed || p.members[position] > 0;
            boolean free = !held.contains(position);
            if (open && free && (best < 0 || p.members[position] < p.members[best])) {
                best = position;
            } else if (!open && free && unopened < 0) {
                unopened = position;
            }
            if (open && p.members[position] < p.members[fewest]) {
                fewest = position;
            }
        }
        int chosen = best >= 0 ? best : unopened >= 0 ? unopened : fewest;
        p.members[chosen]++;
        p.total++;
        p.held.computeIfAbsent(address, k -> new ArrayList<>(1)).add(chosen);
        return new Slot(periodMillis, chosen, address);
    }

    /** The block no longer polls: its slot makes room. */
    public synchronized void leave(Slot slot) {
        Period p = periods.get(slot.periodMillis());
        List<Integer> held = p == null ? null : p.held.get(slot.address());
        if (held == null || !held.remove(Integer.valueOf(slot.position()))) {
            throw new IllegalStateException("not a member of this grid: " + slot);
        }
        if (held.isEmpty()) {
            p.held.remove(slot.address());
        }
        p.members[slot.position()]--;
        if (--p.total == 0) {
            periods.remove(slot.periodMillis());
        }
    }

    /**
     * When a block that joined at {@code nowNanos} (a {@link System#nanoTime()}) is first polled: its slot's next
     * instant, or for a period longer than a second the next instant of the slot's place in a second.
     */
    public long firstNanos(Slot slot, long nowNanos) {
        long period = TimeUnit.MILLISECONDS.toNanos(slot.periodMillis());
        long cadence = Math.min(period, FIRST_POLL_WITHIN_NANOS);
        return nowNanos + Math.floorMod(originNanos + offsetNanos(slot) - nowNanos, cadence);
    }

    /** The slot's first instant after {@code afterNanos}: a block's next poll, at a fixed rate however late it ran. */
    public long nextNanos(Slot slot, long afterNanos) {
        long period = TimeUnit.MILLISECONDS.toNanos(slot.periodMillis());
        return afterNanos + 1 + Math.floorMod(originNanos + offsetNanos(slot) - afterNanos - 1, period);
    }

    private static long offsetNanos(Slot slot) {
        return TimeUnit.MILLISECONDS.toNanos(slot.periodMillis()) / positionCount(slot.periodMillis())
                * slot.position();
    }

    /** Members of each position of a period, for tests. */
    synchronized int[] members(long periodMillis) {
        Period p = periods.get(periodMillis);
        return p == null ? new int[positionCount(periodMillis)] : p.members.clone();
    }

    static int positionCount(long periodMillis) {
        return (int) Math.max(1, Math.min(MAX_POSITIONS, periodMillis / MIN_SPACING_MILLIS));
    }

    /**
     * The positions {@code 0..n-1} in the order slots open: the bit-reversal (van der Corput) order, in which each
     * new position lies in the largest gap the earlier ones leave (0, ½, ¼, ¾, ⅛ … of the period).
     */
    static int[] positions(int n) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
        int[] order = new int[n];
        int k = 0;
        for (int i = 0; k < n; i++) {
            int p = Integer.reverse(i) >>> (32 - bits);
            if (p < n) {
                order[k++] = p;
            }
        }
        return order;
    }
}
