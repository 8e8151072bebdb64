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
 * event, with one pass for all the events that came meanwhile; a lone event is read alone.
 */
public final class ConfigBatches implements AutoCloseable {
    /** Handles one batch: each changed pid, in order of its first event, with its properties now (null: none). */
    @FunctionalInterface
    public interface Handler {
        void changed(Map<String, Dictionary<String, Object>> batch);
    }

    /** How long a batch gathers events: a burst of files arrives over seconds, one by one. */
    static final long GATHER_MILLIS = 200;

    private final ConfigurationAdmin configAdmin;
    private final String filter;
    private final Handler handler;
    private final Logger log;
    private final ScheduledThreadPoolExecutor thread;
    /** Pids waiting for the next batch (guarded by itself). */
    private final LinkedHashSet<String> pending = new LinkedHashSet<>();

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
        thread.setKeepAliveTime(30, TimeUnit.SECONDS);
        thread.allowCoreThreadTimeOut(true);
    }

    /** An update or deletion joins the next batch; other events (a location change) change no setting. */
    public void event(ConfigurationEvent event) {
        if (event.getType() != ConfigurationEvent.CM_UPDATED && event.getType() != ConfigurationEvent.CM_DELETED) {
            return;
        }
        synchronized (pending) {
            boolean first = pending.isEmpty();
            pending.add(event.getPid());
            if (first) {
                try {
                    thread.schedule(this::drain, GATHER_MILLIS, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    pending.clear(); // closed: an event still on its way to a stopped component
                }
            }
        }
    }

    private void drain() {
        LinkedHashSet<String> batch;
        synchronized (pending) {
            batch = new LinkedHashSet<>(pending);
            pending.clear();
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

    /** Handles what is pending (at most 10 s), then ends the thread. */
    @Override
    public void close() throws InterruptedException {
        thread.shutdown();
        if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
            log.warn("Configuration changes were still being handled after 10 s; stopping anyway");
            thread.shutdownNow();
        }
    }
}
