package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rolling over a full segment leaves its fsync to the outbox's sync, off the appending (poll) thread; runs of records
 * are read ahead, never past the limit the reader gives.
 */
class SegmentLogTest {
    @TempDir
    Path dir;

    /** Appends one record (an entry's header is at least 13 bytes: version, count, time appended). */
    private static long append(SegmentLog log, byte[] entry, int length, boolean force) throws Exception {
        return log.append(OutboxTest.records(new EntryCodec.Encoded(entry, length)), force);
    }

    /** Appends records of 1 MB until the log has begun its second segment; returns the first position after it. */
    private static long rollOnce(SegmentLog log) throws Exception {
        byte[] entry = new byte[1 << 20];
        long start = log.tail();
        while (log.nextSegment(start) == null) {
            append(log, entry, entry.length, false);
        }
        return log.nextSegment(start);
    }

    @Test
    void aRolledSegmentIsForcedByTheNextSyncOnceAndADeletedOneNotAtAll() throws Exception {
        try (SegmentLog log = new SegmentLog("s", dir, 0)) {
            rollOnce(log);
            List<FileChannel> first = log.unforced();
            assertThat(first).as("the rolled segment and the active one").hasSize(2);
            for (FileChannel c : first) {
                c.force(false);
            }
            assertThat(log.unforced()).as("forced once: only the active one is left").hasSize(1);

            long second = rollOnce(log);
            log.deleteBefore(second); // delivered before any sync came
            assertThat(log.unforced()).as("nothing to force of a deleted segment").hasSize(1);
        }
    }

    @Test
    void recordsAppendedWithForceLeaveNothingToForceAtTheRoll() throws Exception {
        try (SegmentLog log = new SegmentLog("s", dir, 0)) {
            byte[] entry = new byte[1 << 20];
            long start = log.tail();
            while (log.nextSegment(start) == null) {
                append(log, entry, entry.length, true);
            }
            assertThat(log.unforced()).hasSize(1);
        }
    }

    @Test
    void runsOfRecordsReadAheadComeBackWholeAcrossReadAheadsSegmentsAndLongRecords() throws Exception {
        Random random = new Random(7);
        List<byte[]> entries = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        try (SegmentLog log = new SegmentLog("s", dir, 0)) {
            long start = log.tail();
            // small records (a poll's entry), some longer than the read-ahead, until the log has a second segment
            while (log.nextSegment(start) == null || entries.size() < 3000) {
                int size = entries.size() % 500 == 499 ? SegmentLog.READ_AHEAD + 1000 : 13 + random.nextInt(700);
                byte[] entry = new byte[size];
                random.nextBytes(entry);
                positions.add(log.tail());
                append(log, entry, size, false);
                entries.add(entry);
            }
            long tail = log.tail();
            for (int i = 0; i < entries.size(); i++) {
                assertThat(log.read(positions.get(i), tail)).as("record %d", i).isEqualTo(entries.get(i));
            }
            // and read again from the middle, as a batch released for a retry is
            int middle = entries.size() / 2;
            assertThat(log.read(positions.get(middle), tail)).isEqualTo(entries.get(middle));
        }
    }

    @Test
    void nothingPastTheReadersLimitIsReadAheadAndADamagedRecordIsReportedAsDamaged() throws Exception {
        byte[] a = "the first record".getBytes();
        byte[] b = "the second record".getBytes();
        long posB;
        try (SegmentLog log = new SegmentLog("s", dir, 0)) {
            long posA = log.tail();
            posB = append(log, a, a.length, false);
            append(log, b, b.length, false);
            assertThat(log.read(posA, posB)).as("the run ends where the reader's region does").isEqualTo(a);
            // the second record is damaged on the disk after that read: a read-ahead past the limit would still
            // hold its intact bytes and hand them out unchecked against the disk
            try (FileChannel ch = FileChannel.open(onlySegment(), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] { 'X' }), posB + SegmentLog.HEADER);
            }
            long tail = log.tail();
            assertThatThrownBy(() -> log.read(posB, tail)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("checksum mismatch").hasMessageContaining("position " + posB);
        }
    }

    /**
     * Issue 23: a run of records appended with one call (a poll loop's round) that does not fit in the active segment
     * is split between records: the segment ends with a whole record, the next one begins with the next, and every
     * record reads back in order.
     */
    @Test
    void aRunOfRecordsPastTheSegmentsEndIsSplitBetweenRecords() throws Exception {
        Random random = new Random(11);
        try (SegmentLog log = new SegmentLog("s", dir, 0)) {
            byte[] big = new byte[(int) SegmentLog.SEGMENT_BYTES - (1 << 20)];
            append(log, big, big.length, false); // 1 MB left in the first segment
            Records run = new Records();
            List<byte[]> entries = new ArrayList<>();
            while (run.bytes() < 3 << 20) { // 3 MB: the rest of the first segment and the start of the second
                byte[] entry = new byte[13 + random.nextInt(40_000)];
                random.nextBytes(entry);
                entries.add(entry);
                run.add(new EntryCodec.Encoded(entry, entry.length));
            }
            long start = log.tail();
            long tail = log.append(run, false);

            assertThat(tail - start).isEqualTo(run.bytes());
            Long second = log.nextSegment(0);
            assertThat(second).as("a second segment begun").isNotNull();
            assertThat(second).as("the first holds whole records only, within its size").isGreaterThan(start)
                    .isLessThanOrEqualTo(SegmentLog.SEGMENT_BYTES);
            long pos = start;
            boolean crossed = false;
            for (byte[] entry : entries) {
                crossed |= pos == second;
                assertThat(log.read(pos, tail)).isEqualTo(entry);
                pos += SegmentLog.HEADER + entry.length;
            }
            assertThat(crossed).as("a record begins the second segment").isTrue();
            assertThat(log.unforced()).as("the rolled segment left for the sync, and the active one").hasSize(2);
        }
    }

    private Path onlySegment() throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
    }
}
