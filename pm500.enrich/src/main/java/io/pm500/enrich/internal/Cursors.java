package io.pm500.enrich.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What of an outbox's log is still to deliver, and what to deliver next — positions only, no file: the backlog (one
 * or more ranges, oldest first) and the live region from the live cursor to the tail. When the sink recovers the
 * live region becomes a backlog range; while it fails everything goes out as historical, oldest first; when both
 * wait, live and backlog batches alternate, live first. Not thread-safe: the outbox guards it.
 */
final class Cursors {
    /** The most backlog ranges kept (the cursor file's size); more and the two oldest are joined. */
    static final int MAX_RANGES = 24;

    /** Positions {@code [from, to)} of the log. */
    record Range(long from, long to) {
        boolean isEmpty() {
            return from >= to;
        }
    }

    /** A region to deliver from: {@code live} or the oldest backlog range; {@code historical} as delivered. */
    record Next(Range range, boolean live, boolean historical) {
    }

    private final ArrayDeque<Range> backlog = new ArrayDeque<>();
    private long live;
    private long tail;
    private boolean failing = true; // until a sink is bound
    private boolean lastWasLive;

    /**
     * Restores the cursors of a log holding {@code [head, tail)}: from a saved {@link #state} (positions outside the
     * log are gone), or, without one, everything is backlog. The delivered gaps that joining re-queued are added to
     * {@code requeued}.
     */
    Cursors(long head, long tail, long[] state, List<Range> requeued) {
        this.tail = tail;
        if (state == null) {
            addBacklog(new Range(head, tail), requeued);
        } else { // [liveCursor, n, from1, to1, …]
            for (int i = 0; i < state[1]; i++) {
                addBacklog(new Range(Math.max(head, state[2 + 2 * i]), Math.min(tail, state[3 + 2 * i])), requeued);
            }
            addBacklog(new Range(Math.max(head, state[0]), tail), requeued);
        }
        live = tail;
    }

    /** {@code [liveCursor, n, from1, to1, …]}, for the cursor file. */
    long[] state() {
        long[] state = new long[2 + 2 * backlog.size()];
        state[0] = live;
        state[1] = backlog.size();
        int i = 2;
        for (Range r : backlog) {
            state[i++] = r.from();
            state[i++] = r.to();
        }
        return state;
    }

    /** Every undelivered range, backlog first. */
    List<Range> undelivered() {
        List<Range> out = new ArrayList<>(backlog);
        if (live < tail) {
            out.add(new Range(live, tail));
        }
        return out;
    }

    void appended(long newTail) {
        tail = newTail;
    }

    /** The first undelivered position (the tail when all is delivered). */
    long head() {
        long head = live;
        for (Range r : backlog) {
            head = Math.min(head, r.from());
        }
        return head;
    }

    /** The oldest undelivered position; -1 when all is delivered. */
    long oldest() {
        return !backlog.isEmpty() ? backlog.peekFirst().from() : live < tail ? live : -1;
    }

    /** What to deliver next; null when nothing waits. */
    Next next() {
        boolean hasBacklog = !backlog.isEmpty();
        boolean hasLive = live < tail;
        boolean takeLive;
        if (failing) {
            takeLive = !hasBacklog && hasLive; // oldest first, all historical
        } else {
            takeLive = hasLive && (!hasBacklog || !lastWasLive);
            lastWasLive = takeLive;
        }
        if (!takeLive && !hasBacklog) {
            return null;
        }
        return new Next(takeLive ? new Range(live, tail) : backlog.peekFirst(), takeLive, failing || !takeLive);
    }

    /**
     * The region starting at {@code from} is delivered (or dropped, or skipped) up to {@code to}; false when no
     * region starts there (dropped meanwhile).
     */
    boolean advance(long from, long to) {
        if (live == from) {
            live = to;
            return true;
        }
        for (Range r : backlog) {
            if (r.from() == from) {
                replaceFirstOf(r, new Range(to, r.to()));
                return true;
            }
        }
        return false;
    }

    /**
     * The oldest undelivered region not starting at {@code busy} (the batch in delivery, or -1), to drop from when
     * the outbox is over its limit; null when only the batch in delivery is left.
     */
    Range droppable(long busy) {
        for (Range r : backlog) {
            if (r.from() != busy) {
                return r;
            }
        }
        return live < tail && live != busy ? new Range(live, tail) : null;
    }

    /** The sink (re)appeared or delivered again after failing: what is queued now is backlog, the rest live. */
    void recovered(List<Range> requeued) {
        failing = false;
        addBacklog(new Range(live, tail), requeued);
        live = tail;
    }

    void failing() {
        failing = true;
    }

    boolean isFailing() {
        return failing;
    }

    private void replaceFirstOf(Range old, Range now) {
        List<Range> all = new ArrayList<>(backlog);
        backlog.clear();
        for (Range r : all) {
            if (r == old) {
                if (!now.isEmpty()) {
                    backlog.add(now);
                }
            } else {
                backlog.add(r);
            }
        }
    }

    private void addBacklog(Range range, List<Range> requeued) {
        if (range.isEmpty()) {
            return;
        }
        Range last = backlog.peekLast();
        if (last != null && last.to() == range.from()) {
            backlog.pollLast();
            backlog.addLast(new Range(last.from(), range.to()));
        } else {
            backlog.addLast(range);
        }
        if (backlog.size() > MAX_RANGES) {
            // the cursor file holds so many ranges: join the two oldest, so the delivered records between them are
            // delivered again (at-least-once allows it) and counted as queued again
            Range first = backlog.pollFirst();
            Range second = backlog.pollFirst();
            requeued.add(new Range(first.to(), second.from()));
            backlog.addFirst(new Range(first.from(), second.to()));
        }
    }
}
