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

    /** Appends records of 1 MB until the log has begun its second segment; returns the first position after it. */
    private static long rollOnce(SegmentLog log) throws Exception {
        byte[] entry = new byte[1 << 20];
        long start = log.tail();
        while (log.nextSegment(start) == null) {
            log.append(entry, entry.length, false);
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
                log.append(entry, entry.length, true);
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
                int size = entries.size() % 500 == 499 ? SegmentLog.READ_AHEAD + 1000 : 1 + random.nextInt(700);
                byte[] entry = new byte[size];
                random.nextBytes(entry);
                positions.add(log.tail());
                log.append(entry, size, false);
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
        byte[] a = "first".getBytes();
        byte[] b = "second".getBytes();
        long posB;
        try (SegmentLog log = new SegmentLog("s", dir, 0)) {
            long posA = log.tail();
            posB = log.append(a, a.length, false);
            log.append(b, b.length, false);
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

    private Path onlySegment() throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
    }
}
