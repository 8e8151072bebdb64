package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxTest {
    static final Instant T0 = Instant.parse("2026-11-27T10:00:00.5Z");

    @TempDir
    Path dir;

    /** One sample's readings: {@code n} readings from sequence id {@code first}. */
    static List<EnrichedReading> sample(String meter, long first, int n) {
        List<EnrichedReading> rs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rs.add(new EnrichedReading(first + i, meter, "site", "area", "asset-" + meter, "metric." + i,
                    Phase.values()[i % Phase.values().length], i % 2 == 0 ? "V" : "", i % 3 == 0 ? Value.of(i * 1.5)
                            : i % 3 == 1 ? Value.of((long) i) : Value.of("t" + i), Quality.GOOD, T0, T0.plusMillis(1)));
        }
        return rs;
    }

    static void append(Outbox o, List<EnrichedReading> rs) {
        o.append(rs.get(0).sequence(), EntryCodec.encode(rs, 0));
    }

    static List<Long> sequences(Outbox.Batch b) {
        List<Long> out = new ArrayList<>();
        b.entries().forEach(e -> EntryCodec.decode(e).forEach(r -> out.add(r.sequence())));
        return out;
    }

    @Test
    void entriesRoundTripEveryField() {
        List<EnrichedReading> rs = sample("m1", 7, 9);
        List<EnrichedReading> bad = List.of(new EnrichedReading(20, "m1", "", "", "", "x", Phase.NONE, "", null,
                Quality.BAD, T0, T0));
        assertThat(EntryCodec.decode(EntryCodec.encode(rs, 42))).isEqualTo(rs);
        assertThat(EntryCodec.decode(EntryCodec.encode(bad, 42))).isEqualTo(bad);
        assertThat(EntryCodec.count(EntryCodec.encode(rs, 42))).isEqualTo(9);
        assertThat(EntryCodec.appendedAt(EntryCodec.encode(rs, 1_764_237_600_123L))).isEqualTo(1_764_237_600_123L);
        assertThat(EntryCodec.lastSequence(EntryCodec.encode(rs, 0))).isEqualTo(15);
    }

    @Test
    void fullOutboxDropsTheOldestAndCountsExactly() {
        try (OutboxStore store = new OutboxStore(dir.resolve("o.mv.db"), 1000)) {
            int entrySize = EntryCodec.encode(sample("m1", 1, 10), 0).length;
            Outbox o = new Outbox("s", store.openMap("s"), entrySize * 5L);
            for (int i = 0; i < 8; i++) {
                append(o, sample("m1", 1 + i * 10, 10));
            }
            assertThat(o.dropped()).isEqualTo(30);
            assertThat(o.readings()).isEqualTo(50);
            assertThat(o.bytes()).isEqualTo(entrySize * 5L);
            o.recovered(0);
            Outbox.Batch b = o.take(1000);
            assertThat(sequences(b).get(0)).as("the oldest left is the 4th sample").isEqualTo(31L);
        }
    }

    @Test
    void entriesInDeliveryAreNotDropped() {
        try (OutboxStore store = new OutboxStore(dir.resolve("o.mv.db"), 1000)) {
            int entrySize = EntryCodec.encode(sample("m1", 1, 10), 0).length;
            Outbox o = new Outbox("s", store.openMap("s"), entrySize * 2L);
            append(o, sample("m1", 1, 10));
            o.recovered(0);
            Outbox.Batch inDelivery = o.take(10);
            append(o, sample("m1", 11, 10));
            append(o, sample("m1", 21, 10));
            assertThat(o.dropped()).isEqualTo(10);
            o.complete(inDelivery);
            assertThat(sequences(o.take(100))).first().isEqualTo(21L);
        }
    }

    @Test
    void backlogAndLiveAlternateAndOnlyBacklogIsHistorical() {
        try (OutboxStore store = new OutboxStore(dir.resolve("o.mv.db"), 1000)) {
            Outbox o = new Outbox("s", store.openMap("s"), Long.MAX_VALUE);
            for (int i = 0; i < 4; i++) {
                append(o, sample("m1", 1 + i * 10, 10)); // queued while the sink was away
            }
            o.recovered(40);
            for (int i = 4; i < 6; i++) {
                append(o, sample("m1", 1 + i * 10, 10));
            }
            List<String> order = new ArrayList<>();
            for (Outbox.Batch b; (b = o.take(10)) != null;) {
                order.add((b.historical() ? "H" : "L") + sequences(b).get(0));
                o.complete(b);
            }
            assertThat(order).containsExactly("L41", "H1", "L51", "H11", "H21", "H31");
        }
    }

    @Test
    void whileFailingEverythingIsBacklogInOrder() {
        try (OutboxStore store = new OutboxStore(dir.resolve("o.mv.db"), 1000)) {
            Outbox o = new Outbox("s", store.openMap("s"), Long.MAX_VALUE);
            o.recovered(0);
            append(o, sample("m1", 1, 10));
            o.failing();
            append(o, sample("m1", 11, 10));
            Outbox.Batch b = o.take(100);
            assertThat(b.historical()).isTrue();
            assertThat(sequences(b)).hasSize(20).startsWith(1L).endsWith(20L);
            o.release();
            assertThat(o.readings()).isEqualTo(20);
        }
    }

    @Test
    void reopenedStoreKeepsEntriesAndNeverReusesSequenceIds() {
        Path file = dir.resolve("o.mv.db");
        long reservedBeforeClose;
        try (OutboxStore store = new OutboxStore(file, 0)) {
            Outbox o = new Outbox("influx", store.openMap("influx"), Long.MAX_VALUE);
            long first = store.reserve(10);
            append(o, sample("m1", first, 10));
            store.awaitDurable();
            reservedBeforeClose = store.lastSequence();
        }
        try (OutboxStore store = new OutboxStore(file, 0)) {
            assertThat(store.sinkNames()).containsExactly("influx");
            Outbox o = new Outbox("influx", store.openMap("influx"), Long.MAX_VALUE);
            assertThat(o.readings()).isEqualTo(10);
            assertThat(store.reserve(1)).isGreaterThan(reservedBeforeClose);
            Outbox.Batch b = o.take(100);
            assertThat(b.historical()).as("what was queued before the restart is backlog").isTrue();
            assertThat(sequences(b)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
    }
}
