package io.pm500.sink.sparkplug.internal;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A connection's output to the broker that can gather packets. Paho's sender thread writes and flushes every packet
 * on its own — a socket write per DDATA, and a wake-up of the broker for each. While a batch is published
 * ({@link #gather} to {@link #release}) the flushes are held and the packets kept here, so the batch goes out in one
 * socket write (or one per {@value #MAX_GATHERED} bytes). Whatever else is sent meanwhile on the connection (a
 * ping, a birth) waits in order with them until the release, a few milliseconds. Thread-safe: Paho's sender writes,
 * the sink's courier gathers and releases.
 */
final class GatheringOutput extends OutputStream {
    /** Bytes held before they are written anyway: a bound on memory and on how long a large batch waits. */
    static final int MAX_GATHERED = 64 << 10;

    private final OutputStream out;
    private final byte[] held = new byte[MAX_GATHERED];
    private int count;
    private boolean gathering;

    GatheringOutput(OutputStream out) {
        this.out = out;
    }

    /** Holds what is written from now on until {@link #release}. */
    synchronized void gather() {
        gathering = true;
    }

    /**
     * Writes what was gathered and stops gathering. Once it returns, every packet handed to this stream before is in
     * the socket's send buffer, as a flush of each would have left it.
     *
     * @throws IOException when the connection cannot take them (it is then broken; Paho notices on its own)
     */
    synchronized void release() throws IOException {
        if (!gathering) {
            return;
        }
        gathering = false;
        writeHeld();
        out.flush();
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        if (!gathering) {
            out.write(b, off, len);
            return;
        }
        if (count + len > held.length) {
            writeHeld();
        }
        if (len >= held.length) {
            out.write(b, off, len);
        } else {
            System.arraycopy(b, off, held, count, len);
            count += len;
        }
    }

    /** Paho flushes after every packet; while gathering, the packet waits for {@link #release} instead. */
    @Override
    public synchronized void flush() throws IOException {
        if (!gathering) {
            out.flush();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        gathering = false;
        try {
            writeHeld();
        } finally {
            out.close();
        }
    }

    private void writeHeld() throws IOException {
        if (count == 0) {
            return;
        }
        int n = count;
        count = 0; // a failed write breaks the connection: its bytes are not sent again on it
        out.write(held, 0, n);
    }
}
