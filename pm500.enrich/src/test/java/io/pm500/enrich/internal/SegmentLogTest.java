package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rolling over a full segment leaves its fsync to the outbox's sync, off the appending (poll) thread. */
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
}
