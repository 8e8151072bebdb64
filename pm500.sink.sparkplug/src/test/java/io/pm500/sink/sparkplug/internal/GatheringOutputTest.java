package io.pm500.sink.sparkplug.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatheringOutputTest {
    /** What reached the "socket": each write's length, and the flushes. */
    private static final class Socket extends ByteArrayOutputStream {
        final List<Integer> writes = new ArrayList<>();
        int flushes;

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.add(len);
            super.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }

    private static byte[] packet(int n, int length) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) n);
        return b;
    }

    @Test
    void withoutABatchEveryPacketIsWrittenAndFlushedAsPahoAsks() throws IOException {
        Socket socket = new Socket();
        GatheringOutput out = new GatheringOutput(socket);
        for (int i = 0; i < 3; i++) {
            out.write(packet(i, 100), 0, 100);
            out.flush();
        }
        assertThat(socket.writes).containsExactly(100, 100, 100);
        assertThat(socket.flushes).isEqualTo(3);
    }

    @Test
    void aBatchsPacketsWaitForTheReleaseAndLeaveInOneWriteInOrder() throws IOException {
        Socket socket = new Socket();
        GatheringOutput out = new GatheringOutput(socket);
        out.gather();
        for (int i = 0; i < 50; i++) {
            out.write(packet(i, 7), 0, 2); // a packet's header, then its payload, as Paho writes them
            out.write(packet(i, 300), 0, 300);
            out.flush();
        }
        assertThat(socket.writes).isEmpty();
        assertThat(socket.flushes).isZero();
        out.release();
        assertThat(socket.writes).containsExactly(50 * 302);
        assertThat(socket.flushes).isEqualTo(1);
        byte[] sent = socket.toByteArray();
        for (int i = 0; i < 50; i++) {
            assertThat(sent[i * 302]).isEqualTo((byte) i);
            assertThat(sent[i * 302 + 301]).isEqualTo((byte) i);
        }
        out.write(packet(9, 10), 0, 10); // released: back to a write per packet
        out.flush();
        assertThat(socket.writes).containsExactly(50 * 302, 10);
        out.release(); // a second release has nothing to write
        assertThat(socket.writes).hasSize(2);
    }

    @Test
    void aLargeBatchGoesOutAsItFillsTheBoundNotAllAtTheEnd() throws IOException {
        Socket socket = new Socket();
        GatheringOutput out = new GatheringOutput(socket);
        out.gather();
        int packet = 1000;
        int packets = 3 * GatheringOutput.MAX_GATHERED / packet;
        for (int i = 0; i < packets; i++) {
            out.write(packet(i, packet), 0, packet);
            out.flush();
        }
        assertThat(socket.writes).hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(GatheringOutput.MAX_GATHERED));
        out.write(packet(1, 2 * GatheringOutput.MAX_GATHERED), 0, 2 * GatheringOutput.MAX_GATHERED);
        out.release();
        assertThat(socket.size()).isEqualTo(packets * packet + 2 * GatheringOutput.MAX_GATHERED);
    }
}
