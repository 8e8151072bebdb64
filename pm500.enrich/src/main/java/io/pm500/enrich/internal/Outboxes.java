package io.pm500.enrich.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outboxes under {@code data/pipeline}: one directory per sink name in {@code outboxes/}, the sequence-id
 * reservation in {@code sequence}, and the thread that forces appended data to the disk every
 * {@code syncIntervalMillis} (0: every append is forced before it returns).
 *
 * <p>Sequence ids are handed out from a reservation of {@value #RESERVATION} that is forced to the disk before the
 * first of its ids is used, so ids never repeat across restarts or crashes (a restart skips what was unused).
 */
final class Outboxes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Outboxes.class);
    static final long RESERVATION = 1_000_000;

    private final Path root;
    private final StateFile sequenceFile;
    private final Map<String, Outbox> open = new ConcurrentHashMap<>();
    private final Thread syncer;
    private volatile long syncIntervalMillis;
    private volatile boolean running = true;
    private long next; // guarded by this
    private long reserved; // guarded by this

    /** Readings taken while no sink or route exists wait here; not a valid sink name, so never a sink's outbox. */
    static final String UNROUTED = "@unrouted";

    Outboxes(Path dir, long syncIntervalMillis) {
        this.root = dir.resolve("outboxes");
        this.syncIntervalMillis = syncIntervalMillis;
        try {
            Files.createDirectories(root);
            sequenceFile = new StateFile(dir.resolve("sequence"));
            long[] state = sequenceFile.read();
            next = state == null ? 1 : state[0];
            reserved = next;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the outboxes in " + dir + ": " + e.getMessage(), e);
        }
        syncer = new Thread(this::syncLoop, "pm500-outbox-sync");
        syncer.setDaemon(true);
        syncer.start();
    }

    /** The sink names that have an outbox on disk. */
    List<String> sinkNames() {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(UNROUTED)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the outboxes in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Opens a sink's outbox (creating it); what it holds is backlog. */
    Outbox open(String sinkName, long maxBytes) {
        try {
            Outbox o = new Outbox(sinkName, root.resolve(sinkName), maxBytes, syncIntervalMillis == 0);
            open.put(sinkName, o);
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the outbox of sink '" + sinkName + "' in " + root + ": "
                    + e.getMessage(), e);
        }
    }

    boolean hasUnrouted() {
        return Files.isDirectory(root.resolve(UNROUTED));
    }

    /**
     * Hands the {@link #UNROUTED} outbox to a sink that has no outbox yet: its directory is renamed, nothing is
     * copied, so even a large holding moves at once. The caller opens the sink's outbox afterwards.
     */
    void adoptUnrouted(String sinkName) throws IOException {
        Outbox held = open.remove(UNROUTED);
        if (held != null) {
            held.close();
        }
        Path target = root.resolve(sinkName);
        if (Files.isDirectory(root.resolve(UNROUTED)) && !Files.exists(target)) {
            Files.move(root.resolve(UNROUTED), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Deletes a sink's outbox with what it holds. */
    void delete(String sinkName) throws IOException {
        Outbox o = open.remove(sinkName);
        if (o != null) {
            o.delete();
        }
    }

    void syncIntervalMillis(long millis) {
        syncIntervalMillis = millis;
        open.values().forEach(o -> o.forceEachAppend(millis == 0));
        LockSupport.unpark(syncer); // wait the new interval from now on
    }

    /** Reserves {@code count} consecutive sequence ids and returns the first. */
    synchronized long reserve(int count) {
        if (next + count > reserved) {
            reserved = next + count + RESERVATION;
            try {
                sequenceFile.write(new long[] { reserved }, true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot reserve sequence ids in " + root.getParent() + ": "
                        + e.getMessage(), e);
            }
        }
        long first = next;
        next += count;
        return first;
    }

    /** Parks rather than sleeps: an interrupt during {@code force} would close the outboxes' file channels. */
    private void syncLoop() {
        while (running) {
            long interval = syncIntervalMillis;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(interval == 0 ? 1000 : interval);
            for (long wait; running && (wait = deadline - System.nanoTime()) > 0 && interval == syncIntervalMillis;) {
                LockSupport.parkNanos(this, wait);
            }
            open.values().forEach(Outbox::sync);
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(syncer);
        try {
            syncer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        open.values().forEach(Outbox::close);
        try {
            sequenceFile.close();
        } catch (IOException e) {
            LOG.error("Closing the sequence file in {} failed: {}", root.getParent(), e.toString());
        }
    }
}
