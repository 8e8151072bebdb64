package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.enrich.internal.Cursors.Next;
import io.pm500.enrich.internal.Cursors.Range;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outbox's delivery cursors alone: positions in, decisions out, no file (issue 21: the Outbox split). */
class CursorsTest {

    @Test
    void whileFailingAllIsHistoricalOldestFirstThenLiveAndBacklogAlternateLiveFirst() {
        Cursors c = new Cursors(0, 100, null, new ArrayList<>());
        c.appended(150);
        assertThat(c.next()).as("failing: the backlog first, historical").isEqualTo(new Next(new Range(0, 100), false,
                true));
        c.recovered(new ArrayList<>());
        c.appended(170);
        assertThat(c.undelivered()).containsExactly(new Range(0, 150), new Range(150, 170));
        assertThat(c.next()).as("live first").isEqualTo(new Next(new Range(150, 170), true, false));
        assertThat(c.next()).as("then backlog").isEqualTo(new Next(new Range(0, 150), false, true));
        assertThat(c.advance(0, 150)).isTrue();
        assertThat(c.next()).isEqualTo(new Next(new Range(150, 170), true, false));
        assertThat(c.advance(150, 170)).isTrue();
        assertThat(c.next()).isNull();
        assertThat(c.head()).isEqualTo(170);
        assertThat(c.oldest()).isEqualTo(-1);
    }

    @Test
    void theStateRoundTripsAndPositionsOutsideTheLogAreGone() {
        Cursors c = new Cursors(0, 100, null, new ArrayList<>());
        c.recovered(new ArrayList<>());
        c.appended(200);
        c.advance(0, 40);
        long[] state = c.state();
        assertThat(state).containsExactly(100, 1, 40, 100);
        Cursors restored = new Cursors(60, 180, state, new ArrayList<>());
        assertThat(restored.undelivered()).as("what was before the first segment or after a cut tail is gone")
                .containsExactly(new Range(60, 180));
    }

    @Test
    void theBatchInDeliveryIsNeverDropped() {
        Cursors c = new Cursors(0, 100, null, new ArrayList<>());
        assertThat(c.droppable(-1)).isEqualTo(new Range(0, 100));
        assertThat(c.droppable(0)).as("only the batch in delivery is left").isNull();
        c.appended(120);
        assertThat(c.droppable(0)).as("the live region then").isEqualTo(new Range(100, 120));
    }

    @Test
    void moreThan24RangesJoinTheOldestTwoAndRequeueTheGapBetween() {
        Cursors c = new Cursors(0, 0, null, new ArrayList<>());
        List<Range> requeued = new ArrayList<>();
        c.recovered(requeued);
        long tail = 0;
        for (int i = 0; i < Cursors.MAX_RANGES + 1; i++) {
            tail += 10;
            c.appended(tail);
            c.advance(tail - 10, tail - 5); // half of the live region delivered...
            c.recovered(requeued); // ...the rest becomes a backlog range, with a gap before it
        }
        assertThat(requeued).containsExactly(new Range(10, 15));
        assertThat(c.state()[1]).isEqualTo(Cursors.MAX_RANGES);
        assertThat(c.undelivered().get(0)).isEqualTo(new Range(5, 20));
    }
}
