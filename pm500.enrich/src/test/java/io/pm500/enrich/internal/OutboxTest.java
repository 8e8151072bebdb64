package io.pm500.enrich.internal;

import static io.pm500.enrich.internal.EntryCodecTest.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
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

    /** The records of one entry, as a run of one sample appends them. */
    static Records records(EntryCodec.Encoded entry) {
        Records r = new Records();
        r.add(entry);
        return r;
    }

    static void append(Outbox o, List<EnrichedReading> rs) {
        o.append(records(new EntryCodec.Writer().encode(rs, 0)));
    }

    static List<Long> sequences(Outbox.Batch b) {
        List<Long> out = new ArrayList<>();
        b.entries().forEach(e -> EntryCodec.decode(e, new EntryCodec.Strings()).forEach(r -> out.add(r.sequence())));
        return out;
    }

    /** Delivers everything; returns the first sequence id of each batch, prefixed H (historical) or L (live). */
    static List<String> drain(Outbox o, int batch) {
        List<String> order = new ArrayList<>();
        for (Outbox.Batch b; (b = o.take(batch)) != null;) {
            order.add((b.historical() ? "H" : "L") + sequences(b).get(0));
            o.complete(b);
        }
        return order;
    }

    Outbox open(long maxBytes) throws Exception {
        return new Outbox("s", dir.resolve("s"), maxBytes, false);
    }

    static int recordSize() {
        return encoded(sample("m1", 1, 10), 0).length + 8;
    }

    /**
     * The oldest undelivered record's age, which a lingering courier asks at every wake-up: known from the append
     * that made it the oldest, read from the disk once otherwise, and never that of a record already delivered or
     * dropped.
     */
    @Test
    void oldestAgeIsTheOldestUndeliveredRecordsThroughAppendsDeliveriesDropsAndReopening() throws Exception {
        Outbox o = open(1 << 20);
        assertThat(o.oldestAge(5_000).toMillis()).as("empty").isZero();
        o.append(records(new EntryCodec.Writer().encode(sample("m1", 1, 10), 1_000)));
        o.append(records(new EntryCodec.Writer().encode(sample("m1", 11, 10), 2_000)));
        o.append(records(new EntryCodec.Writer().encode(sample("m1", 21, 10), 3_000)));
        assertThat(o.oldestAge(5_000).toMillis()).isEqualTo(4_000);
        assertThat(o.oldestAge(5_500).toMillis()).isEqualTo(4_500);

        Outbox.Batch first = o.take(10);
        o.complete(first);
        assertThat(o.oldestAge(5_000).toMillis()).as("after the first was delivered").isEqualTo(3_000);
        o.complete(o.take(10));
        assertThat(o.oldestAge(5_000).toMillis()).isEqualTo(2_000);
        o.complete(o.take(10));
        assertThat(o.oldestAge(5_000).toMillis()).as("all delivered").isZero();
        o.append(records(new EntryCodec.Writer().encode(sample("m1", 31, 10), 4_900)));
        assertThat(o.oldestAge(5_000).toMillis()).as("an append into an empty outbox").isEqualTo(100);

        o.maxBytes(recordSize()); // room for one record: the older ones are dropped
        o.append(records(new EntryCodec.Writer().encode(sample("m1", 41, 10), 4_950)));
        assertThat(o.oldestAge(5_000).toMillis()).as("the older record dropped").isEqualTo(50);
        o.close();

        Outbox reopened = open(1 << 20);
        assertThat(reopened.oldestAge(5_000).toMillis()).as("read from the disk after reopening").isEqualTo(50);
        reopened.close();
    }

    @Test
    void entriesRoundTripEveryField() {
        List<EnrichedReading> rs = sample("m1", 7, 9);
        List<EnrichedReading> bad = List.of(new EnrichedReading(20, "m1", "", "", "", "x", Phase.NONE, "", null,
                Quality.BAD, T0, T0));
        EntryCodec.Strings strings = new EntryCodec.Strings();
        assertThat(EntryCodec.decode(encoded(rs, 42), strings)).isEqualTo(rs);
        assertThat(EntryCodec.decode(encoded(rs, 42), strings)).as("strings from the cache").isEqualTo(rs);
        assertThat(EntryCodec.decode(encoded(bad, 42), strings)).isEqualTo(bad);
        assertThat(EntryCodec.count(encoded(rs, 42))).isEqualTo(9);
        assertThat(EntryCodec.appendedAt(encoded(rs, 1_764_237_600_123L))).isEqualTo(1_764_237_600_123L);
    }

    @Test
    void fullOutboxDropsTheOldestAndCountsExactly() throws Exception {
        try (Outbox o = open(recordSize() * 5L)) {
            for (int i = 0; i < 8; i++) {
                append(o, sample("m1", 1 + i * 10, 10));
            }
            assertThat(o.dropped()).isEqualTo(30);
            assertThat(o.readings()).isEqualTo(50);
            assertThat(o.bytes()).isEqualTo(recordSize() * 5L);
            o.recovered();
            assertThat(sequences(o.take(1000)).get(0)).as("the oldest left is the 4th sample").isEqualTo(31L);
        }
    }

    @Test
    void theBatchInDeliveryIsNotDropped() throws Exception {
        try (Outbox o = open(recordSize() * 2L)) {
            append(o, sample("m1", 1, 10));
            o.recovered();
            append(o, sample("m1", 11, 10));
            Outbox.Batch inDelivery = o.take(10);
            assertThat(sequences(inDelivery).get(0)).isEqualTo(11L);
            append(o, sample("m1", 21, 10));
            append(o, sample("m1", 31, 10));
            assertThat(o.dropped()).as("the backlog went; the live records behind the batch in delivery stay")
                    .isEqualTo(10);
            assertThat(o.readings()).isEqualTo(30);
            o.complete(inDelivery);
            assertThat(drain(o, 100)).containsExactly("L21");
            assertThat(o.readings()).isZero();
            assertThat(o.bytes()).isZero();
        }
    }

    @Test
    void backlogAndLiveAlternateAndOnlyBacklogIsHistorical() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            for (int i = 0; i < 4; i++) {
                append(o, sample("m1", 1 + i * 10, 10)); // queued while the sink was away
            }
            o.recovered();
            for (int i = 4; i < 6; i++) {
                append(o, sample("m1", 1 + i * 10, 10));
            }
            assertThat(drain(o, 10)).containsExactly("L41", "H1", "L51", "H11", "H21", "H31");
        }
    }

    @Test
    void whileFailingEverythingGoesOldestFirstAsHistorical() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            o.recovered();
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
    void aSecondOutageDuringABacklogKeepsEveryRangeAndNothingDeliveredComesBack() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            append(o, sample("m1", 1, 10));
            o.recovered();
            append(o, sample("m1", 11, 10));
            Outbox.Batch live = o.take(10);
            assertThat(live.historical()).isFalse();
            o.complete(live); // 11 delivered live; 1 still backlog
            append(o, sample("m1", 21, 10));
            o.failing();
            o.recovered(); // 21 becomes a second backlog range
            append(o, sample("m1", 31, 10));
            // the last batch taken was live, so a backlog batch comes next
            assertThat(drain(o, 10)).containsExactly("H1", "L31", "H21");
        }
    }

    @Test
    void reopenedOutboxKeepsWhatWasNotDeliveredAsBacklog() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            append(o, sample("m1", 1, 10));
            o.recovered();
            append(o, sample("m1", 11, 10));
            o.complete(o.take(10)); // 11 delivered
            append(o, sample("m1", 21, 10));
        }
        try (Outbox o = open(Long.MAX_VALUE)) {
            assertThat(o.readings()).isEqualTo(20);
            o.recovered();
            assertThat(drain(o, 10)).containsExactly("H1", "H21");
        }
    }

    /** An outbox holding two samples (1.., 11..), closed; its segment file opened for damage. */
    private RandomAccessFile twoRecordsClosed() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            append(o, sample("m1", 1, 10));
            append(o, sample("m1", 11, 10));
        }
        try (Stream<Path> files = Files.list(dir.resolve("s"))) {
            return new RandomAccessFile(files.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow()
                    .toFile(), "rw");
        }
    }

    @Test
    void anAppendTornByACrashIsCutAndTheRestSurvives() throws Exception {
        try (RandomAccessFile f = twoRecordsClosed()) {
            f.setLength(f.length() - 5); // the second record lost its last bytes
        }
        try (Outbox o = open(Long.MAX_VALUE)) {
            assertThat(o.readings()).isEqualTo(10);
            o.recovered();
            append(o, sample("m1", 21, 10));
            assertThat(drain(o, 100)).containsExactly("L21", "H1");
        }
    }

    @Test
    void aCorruptedRecordAtTheEndIsCutToo() throws Exception {
        try (RandomAccessFile f = twoRecordsClosed()) {
            f.seek(f.length() - 3);
            f.write(0x5A); // a flipped byte in the last record: its checksum no longer matches
        }
        try (Outbox o = open(Long.MAX_VALUE)) {
            assertThat(o.readings()).isEqualTo(10);
        }
    }

    @Test
    void segmentsRollAndDeliveredOnesAreDeleted() throws Exception {
        List<EnrichedReading> big = sample("m1", 1, 5000); // ~250 KB a record
        try (Outbox o = open(Long.MAX_VALUE)) {
            o.recovered();
            for (int i = 0; i < 150; i++) {
                append(o, big);
            }
            assertThat(segments()).isGreaterThan(2);
            assertThat(drain(o, 1)).hasSize(150);
            assertThat(segments()).isEqualTo(1);
            assertThat(o.bytes()).isZero();
        }
    }

    @Test
    void aDamagedCursorSlotFallsBackToThePreviousState() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            append(o, sample("m1", 1, 10));
            append(o, sample("m1", 11, 10));
            o.recovered();
            o.complete(o.take(10)); // newest cursor state: 1 delivered
        }
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("s").resolve("cursor").toFile(), "rw")) {
            f.seek(0);
            long g0 = f.readLong();
            f.seek(512);
            long g1 = f.readLong();
            f.seek((g0 > g1 ? 0 : 512) + 20L); // a torn write of the newest slot
            f.write(0x77);
        }
        try (Outbox o = open(Long.MAX_VALUE)) {
            assertThat(o.readings()).as("an older cursor: readings are delivered again, none lost").isEqualTo(20);
        }
    }

    private long segments() throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("s"))) {
            return files.filter(p -> p.toString().endsWith(".seg")).count();
        }
    }

    @Test
    void anInterruptedAppenderDoesNotBreakTheOutbox() throws Exception {
        try (Outbox o = open(Long.MAX_VALUE)) {
            append(o, sample("m1", 1, 10));
            Thread.currentThread().interrupt(); // a driver stopping its threads
            assertThatThrownBy(() -> append(o, sample("m1", 11, 10))).isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("interrupted");
            assertThat(Thread.interrupted()).isTrue();
            append(o, sample("m1", 21, 10));
            o.recovered();
            assertThat(drain(o, 100)).containsExactly("H1");
            assertThat(o.readings()).isZero();
        }
        try (Outbox o = open(Long.MAX_VALUE)) {
            assertThat(o.readings()).as("nothing half-written survives a reopen").isZero();
        }
    }

    @Test
    void aClosedOutboxRefusesAppendsRatherThanReopeningItsFiles() throws Exception {
        Outbox o = open(Long.MAX_VALUE);
        append(o, sample("m1", 1, 10));
        o.close();
        assertThatThrownBy(() -> append(o, sample("m1", 11, 10))).isInstanceOf(UncheckedIOException.class);
        try (Outbox reopened = open(Long.MAX_VALUE)) {
            assertThat(reopened.readings()).isEqualTo(10);
        }
        o.delete();
        assertThat(dir.resolve("s")).doesNotExist();
    }

    @Test
    void sequenceIdsNeverRepeatAcrossRestarts() {
        long last;
        try (Outboxes store = new Outboxes(dir, 1000)) {
            store.reserve(10);
            last = store.reserve(5) + 4;
        }
        try (Outboxes store = new Outboxes(dir, 1000)) {
            assertThat(store.reserve(1)).isGreaterThan(last);
        }
    }
}
