package io.pm500.enrich.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outboxes' file: one H2 MVStore holding one map per sink ({@code outbox.<sink.name>}, first sequence id →
 * entry) and the pipeline's sequence counter. Appends become durable by group commit: each appender waits for
 * the next commit, which one thread runs as soon as the previous one ends, so one write serves every sample that
 * arrived meanwhile. A commit reaches the operating system before appenders return (so a killed process loses
 * nothing acknowledged); it is forced to the disk ({@code fsync}) at most every {@code syncIntervalMillis}, or
 * every time when that is 0.
 */
final class OutboxStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxStore.class);
    private static final String MAP_PREFIX = "outbox.";
    private static final String SEQUENCE = "sequence";

    private final MVStore store;
    private final MVMap<String, Long> meta;
    private final AtomicLong sequence;
    private volatile long syncIntervalNanos;
    private final Path file;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition committed = lock.newCondition();
    private long requested; // guarded by lock
    private long durable; // guarded by lock
    private RuntimeException failure; // guarded by lock
    private boolean closing; // guarded by lock
    private boolean stopped; // guarded by lock: the committer has ended
    private boolean unsynced; // committer thread only
    private long lastSyncNanos = System.nanoTime(); // committer thread only
    private final Thread committer;

    OutboxStore(Path file, long syncIntervalMillis) {
        this.file = file;
        this.syncIntervalNanos = TimeUnit.MILLISECONDS.toNanos(syncIntervalMillis);
        try {
            Files.createDirectories(file.getParent());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the outbox directory " + file.getParent() + ": " + e, e);
        }
        store = new MVStore.Builder().fileName(file.toString()).open();
        meta = store.openMap("pipeline");
        long last = meta.getOrDefault(SEQUENCE, 0L);
        for (String name : sinkNames()) {
            MVMap<Long, byte[]> map = openMap(name);
            Long lastKey = map.lastKey();
            if (lastKey != null) {
                last = Math.max(last, EntryCodec.lastSequence(map.get(lastKey)));
            }
        }
        sequence = new AtomicLong(last);
        committer = new Thread(this::commitLoop, "pm500-outbox-commit");
        committer.setDaemon(true);
        committer.start();
        LOG.info("Outbox store {} opened: outboxes {}, last sequence id {}", file, sinkNames(), last);
    }

    /** The sink names that have an outbox in the file. */
    List<String> sinkNames() {
        return store.getMapNames().stream().filter(n -> n.startsWith(MAP_PREFIX))
                .map(n -> n.substring(MAP_PREFIX.length())).sorted().toList();
    }

    MVMap<Long, byte[]> openMap(String sinkName) {
        return store.openMap(MAP_PREFIX + sinkName);
    }

    void syncIntervalMillis(long millis) {
        syncIntervalNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Deletes a sink's outbox with what it holds. */
    void removeMap(String sinkName) {
        store.removeMap(MAP_PREFIX + sinkName);
    }

    /** Reserves {@code count} consecutive sequence ids and returns the first. */
    long reserve(int count) {
        return sequence.getAndAdd(count) + 1;
    }

    /** The highest sequence id reserved so far. */
    long lastSequence() {
        return sequence.get();
    }

    Path file() {
        return file;
    }

    /**
     * Blocks until everything the calling thread put into the outbox maps is committed.
     *
     * @throws IllegalStateException when the store failed or is closed: the caller's data is not durable
     */
    void awaitDurable() {
        lock.lock();
        try {
            long ticket = ++requested;
            work.signal();
            while (durable < ticket) {
                if (failure != null) {
                    throw new IllegalStateException("the outbox store " + file + " failed: " + failure.getMessage(),
                            failure);
                }
                if (stopped) {
                    throw new IllegalStateException("the outbox store " + file + " is closed");
                }
                committed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private void commitLoop() {
        RuntimeException error = null;
        while (error == null) {
            long target;
            lock.lock();
            try {
                while (requested == durable && !closing) {
                    if (!unsynced) {
                        work.awaitUninterruptibly();
                    } else if (work.awaitNanos(syncIntervalNanos) <= 0 && requested == durable) {
                        break; // idle with a commit not yet forced to disk: force it now
                    }
                }
                if (closing && requested == durable) {
                    break;
                }
                target = requested;
            } catch (InterruptedException e) {
                continue; // nobody interrupts this thread; close() signals
            } finally {
                lock.unlock();
            }
            try {
                if (target != durable) {
                    meta.put(SEQUENCE, sequence.get());
                    store.commit();
                    unsynced = true;
                }
                long now = System.nanoTime();
                if (unsynced && now - lastSyncNanos >= syncIntervalNanos) {
                    store.sync();
                    lastSyncNanos = now;
                    unsynced = false;
                }
            } catch (RuntimeException e) {
                LOG.error("Outbox store {}: commit failed; appends are refused until the gateway restarts: {}", file,
                        e.toString());
                error = e;
            }
            lock.lock();
            try {
                if (error != null) {
                    failure = error;
                } else {
                    durable = target;
                }
                committed.signalAll();
            } finally {
                lock.unlock();
            }
        }
        lock.lock();
        try {
            stopped = true;
            committed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Commits what is pending, forces it to disk and closes the file. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            committer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        meta.put(SEQUENCE, sequence.get());
        store.close();
        LOG.info("Outbox store {} closed at sequence id {}", file, sequence.get());
    }
}
