package io.pm500.enrich.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A few longs kept crash-safe in a small file: two slots written alternately, each with a generation and a CRC,
 * so a write torn by a crash leaves the other slot, the previous state, readable. Callers synchronize.
 */
final class StateFile implements AutoCloseable {
    private static final int SLOT = 512;

    private final Path file;
    private FileChannel channel;
    private long generation;

    StateFile(Path file) throws IOException {
        this.file = file;
        channel = open();
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** The channel, opened again if an interrupted writer closed it; callers hold the owner's monitor. */
    FileChannel channel() throws IOException {
        if (!channel.isOpen()) {
            channel = open();
        }
        return channel;
    }

    /** The newest intact state, or null when there is none (a new file, or both slots damaged). */
    long[] read() throws IOException {
        long[] best = null;
        long bestGeneration = -1;
        for (int slot = 0; slot < 2; slot++) {
            ByteBuffer b = ByteBuffer.allocate(SLOT);
            channel().read(b, (long) slot * SLOT);
            b.flip();
            if (b.remaining() < 16) {
                continue;
            }
            long gen = b.getLong();
            int n = b.getInt();
            if (n < 0 || n > (SLOT - 16) / 8 || b.remaining() < n * 8 + 4) {
                continue;
            }
            long[] values = new long[n];
            for (int i = 0; i < n; i++) {
                values[i] = b.getLong();
            }
            if (b.getInt() == crc(b.array(), 12 + n * 8) && gen > bestGeneration) {
                best = values;
                bestGeneration = gen;
            }
        }
        generation = Math.max(bestGeneration, 0);
        return best;
    }

    /** Writes a new state into the older slot; {@code force} also forces it to the disk. */
    void write(long[] values, boolean force) throws IOException {
        if (values.length > (SLOT - 16) / 8) {
            throw new IllegalArgumentException("state of " + file + " too large: " + values.length + " values");
        }
        generation++;
        ByteBuffer b = ByteBuffer.allocate(SLOT);
        b.putLong(generation).putInt(values.length);
        for (long v : values) {
            b.putLong(v);
        }
        b.putInt(crc(b.array(), b.position()));
        b.flip();
        long at = (generation % 2) * SLOT;
        FileChannel ch = channel();
        while (b.hasRemaining()) {
            at += ch.write(b, at);
        }
        if (force) {
            ch.force(false);
        }
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
