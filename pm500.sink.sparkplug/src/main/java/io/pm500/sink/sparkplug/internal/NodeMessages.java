package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Quality;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one edge node publishes, without MQTT: the Sparkplug state machine — births (NBIRTH with seq 0, a DBIRTH per
 * live device), {@code seq}, device data, DDEATH of lost and renamed devices, template definitions — turning readings
 * into topic + payload for a {@link Wire}. Its devices outlive sessions (a new session rebirths them); the caller
 * serialises calls (the session lock), so {@code seq} follows the order messages reach the wire.
 */
final class NodeMessages {
    private static final Logger LOG = LoggerFactory.getLogger(NodeMessages.class);

    /** Where messages go: the MQTT session, or a test's list. */
    interface Wire {
        void publish(String topic, byte[] payload) throws MqttException;
    }

    private final SparkplugSettings s;
    private final MeterCatalog catalog;
    private final Supplier<NodeHealth> health;
    private final Wire wire;
    /** The node's topic around its message type: spBv1.0/group/ and /node (ids may hold any character but / + #). */
    private final String topicHead;
    private final String topicTail;
    private final Payloads payloads = new Payloads();
    private final Device.Aliases aliases = new Device.Aliases(Payloads.FIRST_DEVICE_ALIAS);
    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final Map<String, String> warnedIds = new HashMap<>();
    /** The device each meter's live readings were last published as. */
    private final Map<String, String> liveDeviceOfMeter = new HashMap<>();
    /** Meters seen in readings: their catalogues join the definitions even when no driver reports them now. */
    private final Set<String> seenMeters = new LinkedHashSet<>();
    private final Runnable births;
    private int seq;
    private long bdSeq;
    private long scanRate;
    private NodeHealth published = NodeHealth.NONE;
    /** Template mode: the definitions of the current NBIRTH; null in plain mode. */
    private Templates templates;

    /**
     * @param catalog what a meter will publish (by meter id), declared in its first DBIRTH (empty: learnt from the
     *                readings, each new metric then bringing a new DBIRTH), and its newest readings, which a device
     *                new to this node starts from; its meters' catalogues make the template definitions
     * @param health  the gateway's health, in NBIRTH and NDATA
     * @param births  told after every NBIRTH this class sends on its own (new template definitions)
     */
    NodeMessages(SparkplugSettings settings, MeterCatalog catalog, Supplier<NodeHealth> health, Wire wire,
            Runnable births) {
        this.s = settings;
        this.catalog = catalog;
        this.health = health;
        this.wire = wire;
        this.births = births;
        this.scanRate = settings.scanRateMillis();
        this.topicHead = "spBv1.0/" + settings.groupId() + "/";
        this.topicTail = "/" + settings.edgeNodeId();
    }

    String topic(String type) {
        return topicHead + type + topicTail;
    }

    long scanRate() {
        return scanRate;
    }

    /** The NDEATH of a session with this bdSeq: the will, and what an intentional disconnect publishes. */
    byte[] ndeath(long sessionBdSeq) {
        return payloads.ndeath(sessionBdSeq);
    }

    /** NBIRTH with seq 0 and the session's bdSeq, then a DBIRTH per live device (§5.4, §5.17); how many were born. */
    int birth(long sessionBdSeq) throws MqttException {
        bdSeq = sessionBdSeq;
        seq = 0;
        published = health.get();
        if (s.templates()) {
            Set<String> meters = new LinkedHashSet<>(catalog.meterIds());
            meters.addAll(seenMeters);
            List<List<MetricInfo>> catalogues = new ArrayList<>();
            meters.forEach(id -> catalogues.add(catalog.metrics(id)));
            templates = new Templates(catalogues);
        }
        wire.publish(topic("NBIRTH"), payloads.nbirth(bdSeq, scanRate, published, uptime(), templates));
        seq = 1;
        int born = 0;
        for (Device d : devices.values()) {
            d.born = false;
            if (!d.dead) {
                dbirth(d);
                born++;
            }
        }
        return born;
    }

    /** The gateway's health as NDATA, with what changed since the last. */
    void health() throws MqttException {
        NodeHealth now = health.get();
        wire.publish(topic("NDATA"), payloads.ndata(nextSeq(), now, published, uptime(), null));
        published = now;
    }

    /** A host set the scan rate (NCMD): the new rate as NDATA when {@code online}. */
    void scanRate(long rate, boolean online) throws MqttException {
        scanRate = rate;
        if (online) {
            wire.publish(topic("NDATA"), payloads.ndata(nextSeq(), published, published, uptime(), scanRate));
        }
    }

    /** DCMD Device Control/Rebirth of a born device; false when the device is unknown or not born. */
    boolean deviceRebirth(String deviceId) throws MqttException {
        Device d = devices.get(deviceId);
        if (d == null || !d.born) {
            return false;
        }
        dbirth(d);
        return true;
    }

    /** The alias a DCMD may use for the device's Device Control/Rebirth; null when the device is unknown. */
    Long rebirthAlias(String deviceId) {
        Device d = devices.get(deviceId);
        return d == null ? null : d.rebirthAlias;
    }

    /**
     * One message per meter and acquisition time. The devices' current values take the whole batch first, so a birth
     * in it shows the newest values known (after an outage, the newest replayed ones).
     */
    void batch(List<EnrichedReading> batch, boolean historical) throws MqttException {
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
                wire.publish(deviceTopic("DDATA", d), payloads.ddata(nextSeq(), d, readings, slots, true, templates,
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
                wire.publish(deviceTopic("DDATA", d), payloads.ddata(nextSeq(), d, readings, slots, false, templates,
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
            birth(bdSeq); // new definitions go in an NBIRTH; every device born again
            births.run();
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
        wire.publish(deviceTopic("DBIRTH", d), payloads.dbirth(nextSeq(), d, templates, aliases));
        d.born = true;
        d.dead = false;
        d.changed = false;
    }

    private void ddeath(Device d) throws MqttException {
        wire.publish(deviceTopic("DDEATH", d), payloads.ddeath(nextSeq()));
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

    private long nextSeq() {
        int current = seq;
        seq = (seq + 1) & 0xFF;
        return current;
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

    private static long uptime() {
        return ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
    }

    private record GroupKey(String device, long acquiredAt) {
    }
}
