package io.pm500.kit.config;

import java.io.IOException;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.slf4j.Logger;

/**
 * Config Admin's events read in batches, on a thread of its own. Config Admin finds a configuration by pid with a
 * pass over every configuration, so one read per event made a burst of N new configurations (a plant's
 * {@code conf/} provisioned at once) cost N passes over N. A batch is read {@value #GATHER_MILLIS} ms after its first
 * event, with one pass for all the events that came meanwhile; a lone event is read alone. During a long burst a
 * batch waits {@value #IDLE_FACTOR} times as long as the previous one took to read and handle (a pass over 10,000
 * configurations takes about 100 ms), so that batches cost at most about a tenth of a core: at 200 ms apart they
 * had taken most of one while 5,000 meters were provisioned, slowing the provisioning itself.
 */
public final class ConfigBatches implements AutoCloseable {
    /** Handles one batch: each changed pid, in order of its first event, with its properties now (null: none). */
    @FunctionalInterface
    public interface Handler {
        void changed(Map<String, Dictionary<String, Object>> batch);
    }

    /** How long a batch gathers events: a burst of files arrives over seconds, one by one. */
    static final long GATHER_MILLIS = 200;
    /** How many times as long as a batch took the next one waits at least. */
    static final int IDLE_FACTOR = 10;

    private final ConfigurationAdmin configAdmin;
    private final String filter;
    private final Handler handler;
    private final Logger log;
    private final ScheduledThreadPoolExecutor thread;
    /** Pids waiting for the next batch (guarded by itself). */
    private final LinkedHashSet<String> pending = new LinkedHashSet<>();
    /** When the next batch may be read, by {@link System#nanoTime} (guarded by {@link #pending}). */
    private long nextBatchNanos = System.nanoTime();
    /** Whether a batch is scheduled or being read (guarded by {@link #pending}). */
    private boolean scheduled;

    /**
     * @param filter     a filter that matches every configuration the handler cares about (null: all), for a batch
     * @param threadName the batches' thread
     */
    public ConfigBatches(ConfigurationAdmin configAdmin, String filter, String threadName, Handler handler,
            Logger log) {
        this.configAdmin = configAdmin;
        this.filter = filter;
        this.handler = handler;
        this.log = log;
        thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        thread.setKeepAliveTime(30, TimeUnit.SECONDS);
        thread.allowCoreThreadTimeOut(true);
    }

    /** An update or deletion joins the next batch; other events (a location change) change no setting. */
    public void event(ConfigurationEvent event) {
        if (event.getType() != ConfigurationEvent.CM_UPDATED && event.getType() != ConfigurationEvent.CM_DELETED) {
            return;
        }
        synchronized (pending) {
            pending.add(event.getPid());
            if (!scheduled) {
                scheduleBatch();
            }
        }
    }

    private void drain() {
        long start = System.nanoTime();
        try {
            read();
        } finally {
            long end = System.nanoTime();
            synchronized (pending) {
                nextBatchNanos = end + IDLE_FACTOR * (end - start);
                scheduled = false;
                if (!pending.isEmpty()) {
                    scheduleBatch(); // what came while this batch was read
                }
            }
        }
    }

    /** Caller holds {@link #pending}. */
    private void scheduleBatch() {
        long delay = Math.max(TimeUnit.MILLISECONDS.toNanos(GATHER_MILLIS), nextBatchNanos - System.nanoTime());
        try {
            thread.schedule(this::drain, delay, TimeUnit.NANOSECONDS);
            scheduled = true;
        } catch (RejectedExecutionException e) {
            // closed: the batch closing ran reads what is pending, if it has not yet; a later event is dropped
        }
    }

    private void read() {
        LinkedHashSet<String> batch;
        synchronized (pending) {
            batch = new LinkedHashSet<>(pending);
            pending.clear();
        }
        if (batch.isEmpty()) {
            return; // read already by the batch that closing ran
        }
        Map<String, Dictionary<String, Object>> now = new LinkedHashMap<>();
        batch.forEach(pid -> now.put(pid, null));
        try {
            String query = batch.size() == 1 ? "(service.pid=" + escape(batch.iterator().next()) + ")"
                    : filter;
            properties(configAdmin.listConfigurations(query)).forEach((pid, properties) -> {
                if (now.containsKey(pid)) {
                    now.put(pid, properties);
                }
            });
        } catch (IOException | InvalidSyntaxException e) {
            log.error("Cannot read configurations {} ({}); their changes are not applied", batch,
                    e.toString());
            return;
        }
        try {
            handler.changed(now);
        } catch (RuntimeException e) {
            log.error("Handling the changes of configurations {} failed: {}", batch, e.toString(), e);
        }
    }

    /**
     * Listed configurations' properties by pid, without those deleted since they were listed (Config Admin then
     * throws at any question; their events follow) and those never updated.
     *
     * @param listed what {@code listConfigurations} answered, null for none
     */
    public static Map<String, Dictionary<String, Object>> properties(Configuration[] listed) {
        Map<String, Dictionary<String, Object>> out = new LinkedHashMap<>();
        for (Configuration c : listed == null ? new Configuration[0] : listed) {
            try {
                Dictionary<String, Object> properties = c.getProperties();
                if (properties != null) {
                    out.put(c.getPid(), properties);
                }
            } catch (IllegalStateException deleted) {
                // gone meanwhile
            }
        }
        return out;
    }

    private static String escape(String pid) {
        return pid.replace("\\", "\\\\").replace("*", "\\*").replace("(", "\\(").replace(")", "\\)");
    }

    /** Handles what is pending now, not after its pause (at most 10 s), then ends the thread. */
    @Override
    public void close() throws InterruptedException {
        synchronized (pending) {
            if (!pending.isEmpty()) {
                thread.execute(this::drain);
            }
        }
        thread.shutdown(); // a batch still waiting for its turn is not run: the one above reads its events
        if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
            log.warn("Configuration changes were still being handled after 10 s; stopping anyway");
            thread.shutdownNow();
        }
    }
}
