package io.pm500.sink.sparkplug.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.sink.SinkException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sparkplug B 3.0 edge node: its MQTT connection ({@link MqttLink}), what it publishes ({@link NodeMessages}),
 * the primary host it waits for ({@link PrimaryHost}) and the commands it takes ({@link Commands}), tied together
 * here. Rules (spec sections in {@code docs/sparkplug-b.md}):
 * <ul>
 * <li>One session thread connects, handles commands and STATE, and sends the health NDATA.</li>
 * <li>Births, data and commands take {@link #lock}, so {@code seq} follows the order messages reach the wire.</li>
 * <li>{@link #deliver} throws a retriable {@link SinkException} while there is no session to publish in (no
 * broker, births not sent, primary host offline): the pipeline keeps the readings and replays them later as
 * historical data.</li>
 * </ul>
 */
final class EdgeNode implements MqttLink.Node {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeNode.class);
    private static final Duration OFFLINE_RETRY = Duration.ofSeconds(1);

    private final SparkplugSettings s;
    private final ScheduledExecutorService session;
    private final ReentrantLock lock = new ReentrantLock();
    private final NodeMessages messages;
    private final MqttLink link;
    private final PrimaryHost host = new PrimaryHost();

    // guarded by lock
    private boolean online;
    private String offline = "not connected yet";
    private ScheduledFuture<?> healthTask;
    /** When the last NBIRTH went out (System.nanoTime), for the rebirth debounce. */
    private long lastBirthNanos;
    /** A rebirth asked for within the debounce window, answered at its end; null when none waits. */
    private ScheduledFuture<?> pendingRebirth;
    /** Called when the node is online with its births out: the pipeline retries queued readings at once. */
    private volatile Runnable onOnline = () -> { };
    private volatile boolean stopped;
    /** Joined on stop: an executor counts as terminated a moment before its thread has ended. */
    private volatile Thread sessionThread;

    /**
     * @param catalog what a meter will publish (by meter id), declared in its first DBIRTH (empty: learnt from the
     *                readings, each new metric then bringing a new DBIRTH), and its newest readings, which a device
     *                new to this node starts from; its meters' catalogues make the template definitions
     */
    EdgeNode(SparkplugSettings settings, BdSeqStore bdSeqStore, Supplier<NodeHealth> health, MeterCatalog catalog) {
        this.s = settings;
        this.session = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm500-sparkplug-" + settings.sinkName());
            t.setDaemon(true);
            sessionThread = t;
            return t;
        });
        MqttLink[] linked = new MqttLink[1];
        this.messages = new NodeMessages(settings, catalog, health, (topic, payload) -> linked[0].publish(topic,
                payload), this::birthsSent);
        this.link = new MqttLink(settings, bdSeqStore, messages, lock, session, this);
        linked[0] = link;
    }

    SparkplugSettings settings() {
        return s;
    }

    void start() {
        session.execute(link::connect);
    }

    /** What to call each time the node is online again (births sent), e.g. the pipeline's "retry now". */
    void onOnline(Runnable r) {
        onOnline = r;
    }

    /**
     * Publishes one batch as DBIRTH/DDATA/DDEATH messages; returns once they are written to the broker. The batch's
     * packets are gathered and written together once Paho has handed over the last of them.
     */
    void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        IMqttToken last;
        GatheringOutput gathered = null;
        try {
            lock.lock();
            try {
                if (!online) {
                    throw SinkException.retriableAfter("Sparkplug sink '" + s.sinkName() + "': " + offline
                            + "; readings stay queued", OFFLINE_RETRY);
                }
                link.clearLast();
                gathered = link.gather();
                messages.batch(batch, historical);
                last = link.last();
            } catch (MqttException e) {
                online = false;
                offline = "publish failed: " + e.getMessage();
                throw SinkException.retriable("Sparkplug sink '" + s.sinkName() + "': publish to " + link.server()
                        + " failed; readings stay queued", e);
            } finally {
                lock.unlock();
            }
            if (last != null) { // else nothing to send: e.g. a meter lost before it was ever born
                try {
                    last.waitForCompletion(TimeUnit.SECONDS.toMillis(s.connectTimeoutSeconds()));
                } catch (MqttException e) {
                    throw SinkException.retriable("Sparkplug sink '" + s.sinkName() + "': publish not confirmed by "
                            + link.server() + "; readings stay queued", e);
                }
            }
        } catch (SinkException | RuntimeException e) {
            if (gathered != null) {
                try {
                    gathered.release(); // what was handed over still goes out, in order, before the retry
                } catch (IOException broken) {
                    e.addSuppressed(broken);
                }
            }
            throw e;
        }
        if (gathered != null) {
            release(gathered);
        }
    }

    /** Writes a batch's gathered packets; a connection that cannot take them is broken, and the batch stays queued. */
    private void release(GatheringOutput gathered) throws SinkException {
        try {
            gathered.release();
        } catch (IOException e) {
            throw SinkException.retriable("Sparkplug sink '" + s.sinkName() + "': writing to " + link.server()
                    + " failed; readings stay queued", e);
        }
    }

    /** Stops: NDEATH and a DISCONNECT that tells the broker to send the will too (§5.5), then closes. */
    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        link.stop();
        session.execute(() -> {
            lock.lock();
            try {
                link.leave("stopping");
            } finally {
                lock.unlock();
            }
        });
        session.shutdown();
        try {
            if (!session.awaitTermination(s.connectTimeoutSeconds() + 5L, TimeUnit.SECONDS)) {
                session.shutdownNow();
            }
            Thread t = sessionThread;
            if (t != null) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the link's calls, under lock

    @Override
    public void connected() throws MqttException {
        if (s.primaryHostId().isEmpty()) {
            birth();
        } else {
            offline = "waiting for primary host '" + s.primaryHostId() + "' to be online";
            LOG.info("Sparkplug sink '{}': waiting for primary host '{}' STATE online before births", s.sinkName(),
                    s.primaryHostId());
        }
    }

    @Override
    public void down(String why) {
        online = false;
        offline = why;
        host.newSession();
        if (healthTask != null) {
            healthTask.cancel(false);
            healthTask = null;
        }
        if (pendingRebirth != null) {
            pendingRebirth.cancel(false); // the next session starts with births anyway
            pendingRebirth = null;
        }
    }

    @Override
    public void arrived(String topic, byte[] payload) {
        if (stopped) {
            return;
        }
        if (topic.startsWith("spBv1.0/STATE/")) {
            state(payload);
            return;
        }
        try {
            List<Payloads.Command> p;
            try {
                p = Payloads.commands(payload);
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("Sparkplug sink '{}': ignored a malformed command on {}: {}", s.sinkName(), topic,
                        e.toString());
                return;
            }
            if (topic.equals(messages.topic("NCMD"))) {
                nodeCommand(Commands.node(s.sinkName(), p));
            } else {
                String deviceId = topic.substring(messages.topic("DCMD").length() + 1);
                if (Commands.deviceRebirth(s.sinkName(), deviceId, messages.rebirthAlias(deviceId), p) && online
                        && messages.deviceRebirth(deviceId)) {
                    LOG.info("Sparkplug sink '{}': DCMD Rebirth for device '{}'", s.sinkName(), deviceId);
                }
            }
        } catch (MqttException e) {
            LOG.warn("Sparkplug sink '{}': could not answer the command on {}: {}", s.sinkName(), topic,
                    e.getMessage());
        }
    }

    private void nodeCommand(Commands.Node c) throws MqttException {
        if (c.scanRate() != null) {
            messages.scanRate(c.scanRate(), online);
            scheduleHealth();
            LOG.info("Sparkplug sink '{}': NCMD Scan Rate: health every {} ms", s.sinkName(), c.scanRate());
        }
        if (c.nextServer()) {
            LOG.info("Sparkplug sink '{}': NCMD Next Server: leaving {}", s.sinkName(), link.server());
            link.leaveForNext("moving to the next server");
        } else if (c.rebirth() && online) {
            rebirth();
        }
    }

    /** NCMD Rebirth: births now, or, within the debounce window of the last ones, once at its end (§5.17). */
    private void rebirth() throws MqttException {
        long wait = lastBirthNanos + TimeUnit.MILLISECONDS.toNanos(s.rebirthDebounceMillis()) - System.nanoTime();
        if (wait <= 0) {
            LOG.info("Sparkplug sink '{}': NCMD Rebirth", s.sinkName());
            birth();
        } else if (pendingRebirth == null) {
            long waitMillis = TimeUnit.NANOSECONDS.toMillis(wait);
            LOG.info("Sparkplug sink '{}': NCMD Rebirth {} ms after the last births: answered in {} ms, once for every"
                    + " request until then (rebirthDebounceMillis)", s.sinkName(), s.rebirthDebounceMillis() - waitMillis,
                    waitMillis);
            pendingRebirth = session.schedule(this::debouncedRebirth, wait, TimeUnit.NANOSECONDS);
        }
    }

    private void debouncedRebirth() {
        lock.lock();
        try {
            pendingRebirth = null;
            if (online) {
                birth();
            }
        } catch (MqttException e) {
            LOG.warn("Sparkplug sink '{}': rebirth failed: {}", s.sinkName(), e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** STATE of the primary host (§5.4): births wait for online; offline ends this session. */
    private void state(byte[] payload) {
        PrimaryHost.Change change;
        try {
            change = host.state(payload);
        } catch (IOException e) {
            LOG.warn("Sparkplug sink '{}': ignored a malformed STATE from primary host '{}': {}", s.sinkName(),
                    s.primaryHostId(), e.getMessage());
            return;
        }
        if (change == PrimaryHost.Change.ONLINE) {
            LOG.info("Sparkplug sink '{}': primary host '{}' is online", s.sinkName(), s.primaryHostId());
            try {
                birth();
            } catch (MqttException e) {
                LOG.warn("Sparkplug sink '{}': births failed: {}", s.sinkName(), e.getMessage());
            }
        } else if (change == PrimaryHost.Change.OFFLINE) {
            LOG.warn("Sparkplug sink '{}': primary host '{}' went offline; NDEATH, then reconnecting{}", s.sinkName(),
                    s.primaryHostId(), s.brokerUris().size() > 1 ? " to the next server" : "");
            link.leaveForNext("primary host offline");
        }
    }

    private void healthTick() {
        lock.lock();
        try {
            if (online) {
                messages.health();
            }
        } catch (MqttException | RuntimeException e) {
            LOG.debug("Sparkplug sink '{}': health NDATA not sent: {}", s.sinkName(), e.toString());
        } finally {
            lock.unlock();
        }
    }

    /** NBIRTH with seq 0 and the connection's bdSeq, then a DBIRTH per live device (§5.4, §5.17). */
    private void birth() throws MqttException {
        online = false;
        int born = messages.birth(link.bdSeq());
        birthsSent();
        online = true;
        offline = "";
        scheduleHealth();
        onOnline.run();
        LOG.info("Sparkplug sink '{}': online as spBv1.0/{}/{} on {} (bdSeq {}), {} device births", s.sinkName(),
                s.groupId(), s.edgeNodeId(), link.server(), link.bdSeq(), born);
    }

    /** Births went out: the rebirth debounce starts again, and they answer a rebirth that waited. */
    private void birthsSent() {
        lastBirthNanos = System.nanoTime();
        if (pendingRebirth != null) {
            pendingRebirth.cancel(false);
            pendingRebirth = null;
        }
    }

    private void scheduleHealth() {
        if (healthTask != null) {
            healthTask.cancel(false);
        }
        long rate = messages.scanRate();
        healthTask = session.scheduleWithFixedDelay(this::healthTick, rate, rate, TimeUnit.MILLISECONDS);
    }
}
