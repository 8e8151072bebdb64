package io.pm500.sink.sparkplug.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Quality;
import io.pm500.api.sink.SinkException;
import io.pm500.api.tls.PemTls;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.MqttReturnCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sparkplug B 3.0 edge node session over Paho MQTT v5. Rules (spec sections in {@code docs/sparkplug-b.md}):
 * <ul>
 * <li>Paho's automatic reconnect is off: every CONNECT needs a new will with the next {@code bdSeq}, so this class
 * connects itself, from one session thread that also handles commands and STATE.</li>
 * <li>Births, data and commands take {@link #lock}, so {@code seq} follows the order messages reach the wire.</li>
 * <li>{@link #deliver} throws a retriable {@link SinkException} while there is no session to publish in (no
 * broker, births not sent, primary host offline): the pipeline keeps the readings and replays them later as
 * historical data.</li>
 * </ul>
 */
final class EdgeNode {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeNode.class);
    private static final Duration OFFLINE_RETRY = Duration.ofSeconds(1);
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SparkplugSettings s;
    private final BdSeqStore bdSeqStore;
    private final Supplier<NodeHealth> health;
    private final MeterCatalog catalog;
    private final Supplier<List<String>> meterIds;
    private final String nodeTopic;
    private final ScheduledExecutorService session;
    private final ReentrantLock lock = new ReentrantLock();
    private final Payloads payloads = new Payloads();
    private final Device.Aliases aliases = new Device.Aliases(Payloads.FIRST_DEVICE_ALIAS);
    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final Map<String, String> warnedIds = new HashMap<>();
    /** The device each meter's live readings were last published as. */
    private final Map<String, String> liveDeviceOfMeter = new HashMap<>();

    // session state, guarded by lock (written by the session thread only)
    private MqttAsyncClient client;
    private IMqttToken lastToken;
    private int serverIndex;
    private long bdSeq;
    /** A bdSeq drawn for a connect that never sent its CONNECT: the next attempt uses it (session thread only). */
    private long unsentBdSeq = -1;
    private int seq;
    private boolean online;
    private boolean hostOnline;
    private long hostTimestamp = Long.MIN_VALUE;
    private String offline = "not connected yet";
    private long scanRate;
    private NodeHealth published = NodeHealth.NONE;
    /** Template mode: the definitions of the current NBIRTH; null in plain mode. */
    private Templates templates;
    /** Meters seen in readings: their catalogues join the definitions even when no driver reports them now. */
    private final Set<String> seenMeters = new LinkedHashSet<>();
    private ScheduledFuture<?> healthTask;
    /** Called when the node is online with its births out: the pipeline retries queued readings at once. */
    private volatile Runnable onOnline = () -> { };
    /** When the last NBIRTH went out (System.nanoTime), for the rebirth debounce. */
    private long lastBirthNanos;
    /** A rebirth asked for within the debounce window, answered at its end; null when none waits. */
    private ScheduledFuture<?> pendingRebirth;
    // session thread only
    private int failures;
    private volatile boolean stopped;
    /** Joined on stop: an executor counts as terminated a moment before its thread has ended. */
    private volatile Thread sessionThread;

    /**
     * @param catalog  what a meter will publish (by meter id), declared in its first DBIRTH (empty: learnt from the
     *                 readings, each new metric then bringing a new DBIRTH), and its newest readings, which a device
     *                 new to this node starts from
     * @param meterIds the meters the drivers know, whose catalogues make the template definitions
     */
    EdgeNode(SparkplugSettings settings, BdSeqStore bdSeqStore, Supplier<NodeHealth> health,
            MeterCatalog catalog, Supplier<List<String>> meterIds) {
        this.s = settings;
        this.bdSeqStore = bdSeqStore;
        this.health = health;
        this.catalog = catalog;
        this.meterIds = meterIds;
        this.scanRate = settings.scanRateMillis();
        this.nodeTopic = "spBv1.0/" + settings.groupId() + "/%s/" + settings.edgeNodeId();
        this.session = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm500-sparkplug-" + settings.sinkName());
            t.setDaemon(true);
            sessionThread = t;
            return t;
        });
    }

    void start() {
        session.execute(this::connect);
    }

    /** What to call each time the node is online again (births sent), e.g. the pipeline's "retry now". */
    void onOnline(Runnable r) {
        onOnline = r;
    }

    /** Publishes one batch as DBIRTH/DDATA/DDEATH messages; returns once they are written to the broker. */
    void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        IMqttToken last;
        lock.lock();
        try {
            if (!online) {
                throw SinkException.retriableAfter("Sparkplug sink '" + s.sinkName() + "': " + offline
                        + "; readings stay queued", OFFLINE_RETRY);
            }
            lastToken = null;
            publishBatch(batch, historical);
            last = lastToken;
        } catch (MqttException e) {
            online = false;
            offline = "publish failed: " + e.getMessage();
            throw SinkException.retriable("Sparkplug sink '" + s.sinkName() + "': publish to "
                    + s.brokerUris().get(serverIndex) + " failed; readings stay queued", e);
        } finally {
            lock.unlock();
        }
        if (last == null) {
            return; // nothing to send: e.g. a meter lost before it was ever born
        }
        try {
            last.waitForCompletion(TimeUnit.SECONDS.toMillis(s.connectTimeoutSeconds()));
        } catch (MqttException e) {
            throw SinkException.retriable("Sparkplug sink '" + s.sinkName() + "': publish not confirmed by "
                    + s.brokerUris().get(serverIndex) + "; readings stay queued", e);
        }
    }

    /** Stops: NDEATH and a DISCONNECT that tells the broker to send the will too (§5.5), then closes. */
    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        session.execute(() -> {
            lock.lock();
            try {
                disconnectIntentionally("stopping");
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

    // ---- session thread

    private void connect() {
        if (stopped) {
            return;
        }
        String uri = s.brokerUris().get(serverIndex);
        MqttAsyncClient c = null;
        long nextBdSeq = -1;
        try {
            // a bdSeq is used up by a CONNECT that went out with its will, not by an attempt that never reached a
            // broker (§6.4.5: +1 per CONNECT)
            nextBdSeq = unsentBdSeq >= 0 ? unsentBdSeq : bdSeqStore.next();
            unsentBdSeq = -1;
            c = new MqttAsyncClient(uri, s.clientId(), new MemoryPersistence());
            c.setCallback(new Callback(c));
            lock.lock();
            try {
                client = c;
                bdSeq = nextBdSeq;
                online = false;
                hostOnline = false;
                offline = "connecting to " + uri;
            } finally {
                lock.unlock();
            }
            c.connect(options(nextBdSeq)).waitForCompletion(TimeUnit.SECONDS.toMillis(s.connectTimeoutSeconds()));
            List<MqttSubscription> subs = new ArrayList<>(List.of(new MqttSubscription(topic("NCMD"), 1),
                    new MqttSubscription(topic("DCMD") + "/+", 1)));
            if (!s.primaryHostId().isEmpty()) {
                subs.add(new MqttSubscription("spBv1.0/STATE/" + s.primaryHostId(), 1));
            }
            // the array form with no per-subscription listener: Paho 1.2.5's listener form overflows the stack
            c.subscribe(subs.toArray(new MqttSubscription[0]), null, null, new MqttProperties())
                    .waitForCompletion(TimeUnit.SECONDS.toMillis(s.connectTimeoutSeconds()));
            failures = 0;
            LOG.info("Sparkplug sink '{}': connected to {} as {} (bdSeq {})", s.sinkName(), uri, s.clientId(),
                    nextBdSeq);
            lock.lock();
            try {
                if (client != c) {
                    return;
                }
                if (s.primaryHostId().isEmpty()) {
                    birth();
                } else {
                    offline = "waiting for primary host '" + s.primaryHostId() + "' to be online";
                    LOG.info("Sparkplug sink '{}': waiting for primary host '{}' STATE online before births",
                            s.sinkName(), s.primaryHostId());
                }
            } finally {
                lock.unlock();
            }
        } catch (MqttException | IOException | RuntimeException e) {
            if (nextBdSeq >= 0 && connectNotSent(e)) {
                unsentBdSeq = nextBdSeq;
            }
            failed(c, uri, e);
        }
    }

    /** True when the failure came before an MQTT CONNECT went out: no TCP connection, or no TLS session. */
    static boolean connectNotSent(Throwable e) {
        if (e instanceof MqttException m
                && m.getReasonCode() == MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.NoRouteToHostException || t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    private void failed(MqttAsyncClient c, String uri, Exception e) {
        lock.lock();
        try {
            if (c != null && client != c) {
                return;
            }
            online = false;
            offline = "no connection to " + uri + ": " + describe(e);
            closeClient();
            serverIndex = (serverIndex + 1) % s.brokerUris().size();
        } finally {
            lock.unlock();
        }
        failures++;
        long delay = Math.min(MAX_BACKOFF_MILLIS, 1000L << Math.min(failures - 1, 5));
        LOG.warn("Sparkplug sink '{}': {}; trying {} in {} ms", s.sinkName(), offline,
                s.brokerUris().get(serverIndex), delay);
        schedule(this::connect, delay);
    }

    private void lost(MqttAsyncClient c, String reason) {
        lock.lock();
        try {
            if (client != c) {
                return;
            }
            online = false;
            offline = "connection to " + s.brokerUris().get(serverIndex) + " lost: " + reason;
            closeClient();
        } finally {
            lock.unlock();
        }
        LOG.warn("Sparkplug sink '{}': {}; reconnecting", s.sinkName(), offline);
        schedule(this::connect, 0);
    }

    private void command(MqttAsyncClient c, String topic, byte[] payload) {
        lock.lock();
        try {
            if (client != c || stopped) {
                return;
            }
            if (topic.startsWith("spBv1.0/STATE/")) {
                state(payload);
                return;
            }
            List<Payloads.Command> p;
            try {
                p = Payloads.commands(payload);
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("Sparkplug sink '{}': ignored a malformed command on {}: {}", s.sinkName(), topic,
                        e.toString());
                return;
            }
            if (topic.equals(topic("NCMD"))) {
                nodeCommand(p);
            } else {
                deviceCommand(topic.substring(topic("DCMD").length() + 1), p);
            }
        } catch (MqttException e) {
            LOG.warn("Sparkplug sink '{}': could not answer the command on {}: {}", s.sinkName(), topic,
                    e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void nodeCommand(List<Payloads.Command> p) throws MqttException {
        boolean rebirth = false;
        for (Payloads.Command m : p) {
            String name = m.name() != null ? m.name() : nodeMetricName(m.alias());
            if (Payloads.REBIRTH.equals(name) && Boolean.TRUE.equals(m.value())) {
                rebirth = true; // several in one message: one rebirth
            } else if (Payloads.NEXT_SERVER.equals(name) && Boolean.TRUE.equals(m.value())) {
                LOG.info("Sparkplug sink '{}': NCMD Next Server: leaving {}", s.sinkName(),
                        s.brokerUris().get(serverIndex));
                disconnectIntentionally("moving to the next server");
                serverIndex = (serverIndex + 1) % s.brokerUris().size();
                schedule(this::connect, 0);
                return;
            } else if (Payloads.SCAN_RATE.equals(name) && m.value() instanceof Long rate && rate >= 1000) {
                scanRate = rate;
                scheduleHealth();
                if (online) {
                    publish(topic("NDATA"), payloads.ndata(nextSeq(), published, published, uptime(), scanRate));
                }
                LOG.info("Sparkplug sink '{}': NCMD Scan Rate: health every {} ms", s.sinkName(), rate);
            } else {
                LOG.warn("Sparkplug sink '{}': ignored NCMD metric {} = {} (this node accepts Node Control/Rebirth,"
                        + " Next Server and Scan Rate ≥ 1000 ms)", s.sinkName(), name, m.value());
            }
        }
        if (rebirth && online) {
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

    private void deviceCommand(String deviceId, List<Payloads.Command> p) throws MqttException {
        Device d = devices.get(deviceId);
        for (Payloads.Command m : p) {
            boolean rebirth = d != null && (Payloads.DEVICE_REBIRTH.equals(m.name())
                    || (m.name() == null && m.alias() != null && m.alias() == d.rebirthAlias));
            if (rebirth && Boolean.TRUE.equals(m.value())) {
                if (online && d.born) {
                    LOG.info("Sparkplug sink '{}': DCMD Rebirth for device '{}'", s.sinkName(), deviceId);
                    dbirth(d);
                }
            } else {
                LOG.warn("Sparkplug sink '{}': ignored DCMD {} for device '{}' (meters are read-only; only Device"
                        + " Control/Rebirth is accepted)", s.sinkName(), m.name() != null ? m.name() : m.alias(),
                        deviceId);
            }
        }
    }

    /** STATE of the primary host (§5.4): births wait for online; offline ends this session. */
    private void state(byte[] payload) {
        boolean isOnline;
        long timestamp;
        try {
            JsonNode n = JSON.readTree(payload);
            if (n == null || !n.path("online").isBoolean() || !n.path("timestamp").canConvertToLong()) {
                throw new IOException("not {\"online\":bool,\"timestamp\":ms}");
            }
            isOnline = n.get("online").booleanValue();
            timestamp = n.get("timestamp").longValue();
        } catch (IOException e) {
            LOG.warn("Sparkplug sink '{}': ignored a malformed STATE from primary host '{}': {}", s.sinkName(),
                    s.primaryHostId(), e.getMessage());
            return;
        }
        if (timestamp < hostTimestamp) {
            return; // older than the newest STATE seen, online or offline: delivered late
        }
        hostTimestamp = timestamp;
        if (isOnline) {
            if (!hostOnline) {
                hostOnline = true;
                LOG.info("Sparkplug sink '{}': primary host '{}' is online", s.sinkName(), s.primaryHostId());
                try {
                    birth();
                } catch (MqttException e) {
                    LOG.warn("Sparkplug sink '{}': births failed: {}", s.sinkName(), e.getMessage());
                }
            }
        } else if (hostOnline) {
            LOG.warn("Sparkplug sink '{}': primary host '{}' went offline; NDEATH, then reconnecting{}", s.sinkName(),
                    s.primaryHostId(), s.brokerUris().size() > 1 ? " to the next server" : "");
            disconnectIntentionally("primary host offline");
            serverIndex = (serverIndex + 1) % s.brokerUris().size();
            schedule(this::connect, 0);
        }
    }

    private void healthTick() {
        lock.lock();
        try {
            if (online) {
                NodeHealth now = health.get();
                publish(topic("NDATA"), payloads.ndata(nextSeq(), now, published, uptime(), null));
                published = now;
            }
        } catch (MqttException | RuntimeException e) {
            LOG.debug("Sparkplug sink '{}': health NDATA not sent: {}", s.sinkName(), e.toString());
        } finally {
            lock.unlock();
        }
    }

    // ---- under lock

    /** NBIRTH with seq 0 and the connection's bdSeq, then a DBIRTH per live device (§5.4, §5.17). */
    private void birth() throws MqttException {
        online = false;
        seq = 0;
        published = health.get();
        if (s.templates()) {
            Set<String> meters = new LinkedHashSet<>(meterIds.get());
            meters.addAll(seenMeters);
            List<List<MetricInfo>> catalogues = new ArrayList<>();
            meters.forEach(id -> catalogues.add(catalog.metrics(id)));
            templates = new Templates(catalogues);
        }
        publish(topic("NBIRTH"), payloads.nbirth(bdSeq, scanRate, published, uptime(), templates));
        lastBirthNanos = System.nanoTime();
        if (pendingRebirth != null) {
            pendingRebirth.cancel(false); // these births answer it
            pendingRebirth = null;
        }
        seq = 1;
        int born = 0;
        for (Device d : devices.values()) {
            d.born = false;
            if (!d.dead) {
                dbirth(d);
                born++;
            }
        }
        online = true;
        offline = "";
        scheduleHealth();
        onOnline.run();
        LOG.info("Sparkplug sink '{}': online as spBv1.0/{}/{} on {} (bdSeq {}), {} device births", s.sinkName(),
                s.groupId(), s.edgeNodeId(), s.brokerUris().get(serverIndex), bdSeq, born);
    }

    /**
     * One message per meter and acquisition time. The devices' current values take the whole batch first, so a birth
     * in it shows the newest values known (after an outage, the newest replayed ones).
     */
    private void publishBatch(List<EnrichedReading> batch, boolean historical) throws MqttException {
        Map<GroupKey, List<EnrichedReading>> groups = new LinkedHashMap<>();
        for (EnrichedReading r : batch) {
            groups.computeIfAbsent(new GroupKey(deviceId(r), r.acquiredAt().toEpochMilli()), k -> new ArrayList<>())
                    .add(r);
        }
        List<List<Device.Slot>> slotsOf = new ArrayList<>(groups.size());
        for (Map.Entry<GroupKey, List<EnrichedReading>> g : groups.entrySet()) {
            Device d = devices.get(g.getKey().device());
            if (d == null) {
                d = newDevice(g.getKey().device(), g.getValue().get(0).meterId());
            }
            List<Device.Slot> slots = new ArrayList<>(g.getValue().size());
            for (EnrichedReading r : g.getValue()) {
                Device.Slot slot = d.slot(r, aliases);
                slots.add(slot);
                slot.update(r);
            }
            slotsOf.add(slots);
        }
        int i = 0;
        Set<Device> diesAfter = null;
        for (Map.Entry<GroupKey, List<EnrichedReading>> g : groups.entrySet()) {
            Device d = devices.get(g.getKey().device());
            List<EnrichedReading> readings = g.getValue();
            List<Device.Slot> slots = slotsOf.get(i++);
            boolean fresh = anyFresh(readings);
            if (d.dead && !fresh) {
                continue; // dead, or never answered: silent until a fresh value comes (hosts already know)
            }
            if (historical) {
                if (d.dead && !d.anyFresh()) {
                    // lost now: born for its backlog, dead again once this batch is out
                    diesAfter = diesAfter == null ? new LinkedHashSet<>() : diesAfter;
                    diesAfter.add(d);
                }
                if (!d.born || d.changed) {
                    dbirth(d);
                }
                publish(deviceTopic("DDATA", d), payloads.ddata(nextSeq(), d, readings, slots, true, templates,
                        aliases));
                continue;
            }
            retireFormerDevice(readings.get(0).meterId(), d.id);
            if (readings.stream().allMatch(r -> r.quality() == Quality.STALE) && !d.anyFresh()) {
                ddeath(d);
                LOG.info("Sparkplug sink '{}': device '{}' lost (every value STALE): DDEATH", s.sinkName(), d.id);
            } else if (!d.born || d.changed) {
                dbirth(d); // the birth carries this poll's values
            } else {
                publish(deviceTopic("DDATA", d), payloads.ddata(nextSeq(), d, readings, slots, false, templates,
                        aliases));
            }
        }
        if (diesAfter != null) {
            for (Device d : diesAfter) {
                ddeath(d);
            }
        }
    }

    /**
     * A device new to this node: the catalogue's metrics declared, then the newest readings the pipeline holds for
     * the meter, so its first birth is as complete after a reconfiguration as before it (values read once per
     * connection included). It is born with its first fresh value.
     */
    private Device newDevice(String deviceId, String meterId) throws MqttException {
        List<MetricInfo> declared = catalog.metrics(meterId);
        seenMeters.add(meterId);
        Device d = new Device(deviceId, aliases.next());
        d.declare(declared, aliases);
        for (EnrichedReading r : catalog.newest(meterId)) {
            if (deviceId.equals(deviceId(r))) {
                d.slot(r, aliases).update(r);
            }
        }
        devices.put(d.id, d);
        if (templates != null && !templates.covers(declared)) {
            LOG.info("Sparkplug sink '{}': meter '{}' adds metrics to the templates: rebirth", s.sinkName(), meterId);
            birth(); // new definitions go in an NBIRTH; every device born again
        }
        return d;
    }

    private static boolean anyFresh(List<EnrichedReading> readings) {
        for (EnrichedReading r : readings) {
            if (r.quality() == Quality.GOOD || r.quality() == Quality.UNCERTAIN) {
                return true;
            }
        }
        return false;
    }

    private void dbirth(Device d) throws MqttException {
        publish(deviceTopic("DBIRTH", d), payloads.dbirth(nextSeq(), d, templates, aliases));
        d.born = true;
        d.dead = false;
        d.changed = false;
    }

    private void ddeath(Device d) throws MqttException {
        publish(deviceTopic("DDEATH", d), payloads.ddeath(nextSeq()));
        d.born = false;
        d.dead = true;
    }

    /**
     * A meter's live readings under another device id than before (its asset was renamed, or the readings before
     * were taken before its asset was configured): the former device gets DDEATH (§5.7), so hosts do not keep it
     * online forever, unless another meter still publishes it.
     */
    private void retireFormerDevice(String meterId, String deviceId) throws MqttException {
        String former = liveDeviceOfMeter.put(meterId, deviceId);
        if (former == null || former.equals(deviceId) || liveDeviceOfMeter.containsValue(former)) {
            return;
        }
        Device old = devices.get(former);
        if (old != null && old.born) {
            ddeath(old);
            LOG.info("Sparkplug sink '{}': meter '{}' is now published as device '{}': DDEATH for device '{}'",
                    s.sinkName(), meterId, deviceId, former);
        }
    }

    /** NDEATH (QoS 1, confirmed), then DISCONNECT with reason "with will message" (§5.5), then close. */
    private void disconnectIntentionally(String why) {
        MqttAsyncClient c = client;
        online = false;
        offline = why;
        if (c != null && c.isConnected()) {
            try {
                c.publish(topic("NDEATH"), payloads.ndeath(bdSeq), 1, false).waitForCompletion(2000);
                c.disconnect(2000, null, null, MqttReturnCode.RETURN_CODE_DISCONNECT_WITH_WILL_MESSAGE,
                        new MqttProperties()).waitForCompletion(3000);
                LOG.info("Sparkplug sink '{}': NDEATH sent and disconnected from {} ({})", s.sinkName(),
                        s.brokerUris().get(serverIndex), why);
            } catch (MqttException e) {
                LOG.warn("Sparkplug sink '{}': NDEATH/DISCONNECT failed ({}); the broker sends the will NDEATH",
                        s.sinkName(), e.getMessage());
            }
        }
        closeClient();
    }

    private void closeClient() {
        if (healthTask != null) {
            healthTask.cancel(false);
            healthTask = null;
        }
        if (pendingRebirth != null) {
            pendingRebirth.cancel(false); // the next session starts with births anyway
            pendingRebirth = null;
        }
        MqttAsyncClient c = client;
        client = null;
        lastToken = null;
        if (c == null) {
            return;
        }
        try {
            if (c.isConnected()) {
                c.disconnectForcibly(0, 1000, false);
            }
        } catch (MqttException e) {
            LOG.debug("Sparkplug sink '{}': forced disconnect: {}", s.sinkName(), e.getMessage());
        }
        try {
            c.close(true);
        } catch (MqttException e) {
            LOG.debug("Sparkplug sink '{}': close: {}", s.sinkName(), e.getMessage());
        }
    }

    private void publish(String topic, byte[] payload) throws MqttException {
        if (client == null) {
            throw new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED);
        }
        lastToken = client.publish(topic, payload, 0, false);
    }

    private long nextSeq() {
        int current = seq;
        seq = (seq + 1) & 0xFF;
        return current;
    }

    private void scheduleHealth() {
        if (healthTask != null) {
            healthTask.cancel(false);
        }
        healthTask = session.scheduleWithFixedDelay(this::healthTick, scanRate, scanRate, TimeUnit.MILLISECONDS);
    }

    // ---- helpers

    private void schedule(Runnable task, long delayMillis) {
        if (!stopped) {
            try {
                session.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // stopping: nothing more to do
            }
        }
    }

    private MqttConnectionOptions options(long willBdSeq) {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(true);
        o.setSessionExpiryInterval(0L);
        o.setAutomaticReconnect(false);
        o.setKeepAliveInterval(s.keepAliveSeconds());
        o.setConnectionTimeout(s.connectTimeoutSeconds());
        MqttMessage will = new MqttMessage(payloads.ndeath(willBdSeq), 1, false, null);
        o.setWill(topic("NDEATH"), will);
        if (!s.username().isEmpty()) {
            o.setUserName(s.username());
        }
        if (s.password() != null) {
            o.setPassword(s.password());
        }
        if (s.usesTls()) {
            o.setSocketFactory(PemTls.context("sparkplug", s.caFile(), s.clientCertFile(), s.clientKeyFile())
                    .getSocketFactory());
        }
        return o;
    }

    private String topic(String type) {
        return String.format(nodeTopic, type);
    }

    private String deviceTopic(String type, Device d) {
        return topic(type) + "/" + d.id;
    }

    /** The asset id (the meter id when no asset is configured), with characters Sparkplug forbids replaced. */
    private String deviceId(EnrichedReading r) {
        String raw = r.asset().isEmpty() ? r.meterId() : r.asset();
        String id = raw.replace('/', '_').replace('+', '_').replace('#', '_');
        if (!id.equals(raw) && warnedIds.put(raw, id) == null) {
            LOG.warn("Sparkplug sink '{}': asset id '{}' of meter '{}' contains '/', '+' or '#', which Sparkplug"
                    + " forbids; published as device '{}' (rename the asset to choose the id)", s.sinkName(), raw,
                    r.meterId(), id);
        }
        return id;
    }

    private static String nodeMetricName(Long alias) {
        if (alias == null) {
            return "";
        }
        if (alias == Payloads.ALIAS_NEXT_SERVER) {
            return Payloads.NEXT_SERVER;
        }
        return alias == Payloads.ALIAS_SCAN_RATE ? Payloads.SCAN_RATE : "alias " + alias;
    }

    private static long uptime() {
        return ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
    }

    /** The root cause says what is wrong (refused, PKIX, bad_certificate); Paho's own wrapper text rarely does. */
    private static String describe(Exception e) {
        Throwable cause = e.getCause();
        return cause != null && cause != e ? cause.toString() : e.toString();
    }

    private record GroupKey(String device, long acquiredAt) {
    }

    /** Paho's callbacks, tied to one client so a late callback from a replaced client is ignored. */
    private final class Callback implements MqttCallback {
        private final MqttAsyncClient c;

        Callback(MqttAsyncClient c) {
            this.c = c;
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            String reason = response.getException() != null ? response.getException().getMessage()
                    : "broker sent DISCONNECT " + response.getReturnCode();
            schedule(() -> lost(c, reason), 0);
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
            LOG.warn("Sparkplug sink '{}': MQTT error: {}", s.sinkName(), exception.getMessage());
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            byte[] payload = message.getPayload();
            schedule(() -> command(c, topic, payload), 0);
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
            // QoS 0 data: completion is awaited on the last token of a batch instead
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
            // connecting is driven by connect(), not by Paho's reconnect
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
            // no enhanced authentication
        }
    }
}
