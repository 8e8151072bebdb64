package io.pm500.sink.sparkplug.internal;

import static io.pm500.sink.sparkplug.internal.SparkplugFixture.await;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.good;
import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Phase;
import io.pm500.demo.EmbeddedBroker;
import io.pm500.sink.sparkplug.internal.SparkplugFixture.Recorder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.tahu.host.HostApplication;
import org.eclipse.tahu.host.api.MultiHostApplicationEventHandler;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.model.DeviceDescriptor;
import org.eclipse.tahu.message.model.EdgeNodeDescriptor;
import org.eclipse.tahu.message.model.Message;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.SparkplugDescriptor;
import org.eclipse.tahu.model.MqttServerDefinition;
import org.eclipse.tahu.mqtt.MqttClientId;
import org.eclipse.tahu.mqtt.MqttServerName;
import org.eclipse.tahu.mqtt.MqttServerUrl;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eclipse Tahu's own host application (not our code) as the primary host: it publishes STATE, our edge node waits
 * for it, and the host takes the births and data with strict sequence checking (no reordering, no rebirth asked).
 */
@Tag("slow")
class TahuHostTest {

    @Test
    void tahuHostApplicationAcceptsTheSession(@TempDir Path dir) throws Exception {
        run(dir, false);
    }

    @Test
    void tahuHostApplicationAcceptsTemplates(@TempDir Path dir) throws Exception {
        run(dir, true);
    }

    /**
     * tck-id-operational-behavior-data-commands-rebirth-name (and -name-aliases): a host that joins after the node is
     * online sees data from a node it has no birth of, asks for a rebirth — Tahu's host by name, without a datatype —
     * and gets NBIRTH and every DBIRTH, then data it can decode.
     */
    @Test
    void aTahuHostThatJoinsLateAsksForARebirthAndGetsTheBirths(@TempDir Path dir) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0);
                Recorder rec = new Recorder(broker.uri(), "rec-tahu-late")) {
            EdgeNode node = new EdgeNode(SparkplugFixture.settings("tahu-late", List.of(broker.uri()), ""),
                    new BdSeqStore(dir.resolve("bdSeq")), () -> NodeHealth.NONE, SparkplugFixture.Catalog.NONE);
            Events events = new Events();
            HostApplication host = host(events, broker);
            try {
                node.start();
                Instant t = Instant.parse("2026-11-27T10:00:00Z");
                SparkplugFixture.deliver(node, List.of(good("feeder-1", "voltage.l1n", 230, t),
                        good("feeder-2", "voltage.l1n", 240, t)), false);
                host.start(true);
                for (int i = 1; i < 120 && !(events.nodeBirths.get() >= 1 && events.devices.size() == 2
                        && events.data.get() > 0); i++) {
                    SparkplugFixture.deliver(node, List.of(good("feeder-1", "voltage.l1n", 230 + i, t.plusSeconds(i)),
                            good("feeder-2", "voltage.l1n", 240 + i, t.plusSeconds(i))), false);
                    SparkplugFixture.sleep(500);
                }
                assertThat(rec.of("tahu-late", "NCMD")).as("the host asked for a rebirth").isNotEmpty();
                assertThat(events.nodeBirths.get()).as("NBIRTH after its request").isPositive();
                assertThat(events.devices).containsExactlyInAnyOrder("feeder-1", "feeder-2");
                assertThat(events.data.get()).as("data decoded with the births' aliases").isPositive();
            } finally {
                node.stop();
                host.shutdown();
            }
        }
    }

    private static HostApplication host(Events events, EmbeddedBroker broker) throws Exception {
        return new HostApplication(events, "tahu-host", List.of("spBv1.0/#"),
                List.of(new MqttServerDefinition(new MqttServerName("test"), new MqttClientId("tahu-host", false),
                        new MqttServerUrl(broker.uri()), null, null, 30, null)),
                null, new SparkplugBPayloadDecoder(), false);
    }

    private static void run(Path dir, boolean templates) throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0);
                Recorder rec = new Recorder(broker.uri(), "rec-tahu")) {
            Events events = new Events();
            HostApplication host = host(events, broker);
            SparkplugSettings plain = SparkplugFixture.settings("tahu-node", List.of(broker.uri()), "tahu-host");
            List<MetricInfo> catalogue = List.of(new MetricInfo("voltage.l1n", Phase.L1, "V", MetricInfo.Kind.REAL),
                    new MetricInfo("energy.active.import.total", Phase.TOTAL, "Wh", MetricInfo.Kind.INT));
            EdgeNode node = new EdgeNode(new SparkplugSettings(plain.sinkName(), plain.groupId(), plain.edgeNodeId(),
                    plain.brokerUris(), plain.clientId(), "", null, null, null, null, "tahu-host", 30, 5, 60_000, 0,
                    templates), new BdSeqStore(dir.resolve("bdSeq")), () -> NodeHealth.NONE,
                    SparkplugFixture.Catalog.declaring(id -> catalogue).withMeters(List.of("meter-feeder-1",
                            "meter-feeder-2")));
            try {
                node.start();
                host.start(true);
                host.setOnlineState(true);
                Instant t = Instant.parse("2026-11-27T10:00:00Z");
                for (int i = 0; i < 20; i++) {
                    SparkplugFixture.deliver(node, List.of(good("feeder-1", "voltage.l1n", 230 + i, t.plusSeconds(i)),
                            good("feeder-2", "voltage.l1n", 240 + i, t.plusSeconds(i))), false);
                }
                await("Tahu's host to see the node, both devices and their data", Duration.ofSeconds(90),
                        () -> events.nodeBirths.get() >= 1 && events.devices.size() == 2 && events.data.get() >= 38);
                assertThat(events.devices).containsExactlyInAnyOrder("feeder-1", "feeder-2");
                assertThat(events.deviceMetrics).contains(templates ? "Process" : "Voltage/L1-N");
                assertThat(rec.of("tahu-node", "NCMD")).as("the host never asked for a rebirth").isEmpty();
            } finally {
                node.stop();
                host.shutdown();
            }
        }
    }

    /** Counts what the host application reports. */
    static final class Events implements MultiHostApplicationEventHandler {
        final AtomicInteger nodeBirths = new AtomicInteger();
        final AtomicInteger data = new AtomicInteger();
        final Set<String> devices = ConcurrentHashMap.newKeySet();
        final Set<String> deviceMetrics = ConcurrentHashMap.newKeySet();

        @Override
        public void onNodeBirthArrived(MqttServerName s, EdgeNodeDescriptor n, Message m) {
            nodeBirths.incrementAndGet();
        }

        @Override
        public void onDeviceBirthArrived(MqttServerName s, DeviceDescriptor d, Message m) {
            devices.add(d.getDeviceId());
        }

        @Override
        public void onDeviceDataArrived(MqttServerName s, DeviceDescriptor d, Message m) {
            data.incrementAndGet();
        }

        @Override
        public void onBirthMetric(MqttServerName s, SparkplugDescriptor d, Metric m) {
            if (d.isDeviceDescriptor()) {
                deviceMetrics.add(m.getName());
            }
        }

        // the rest of the callbacks: nothing to count
        @Override
        public void onConnect(MqttServerName s) {
        }

        @Override
        public void onDisconnect(MqttServerName s) {
        }

        @Override
        public void onMessage(MqttServerName s, SparkplugDescriptor d, Message m) {
        }

        @Override
        public void onNodeBirthComplete(MqttServerName s, EdgeNodeDescriptor n) {
        }

        @Override
        public void onNodeDataArrived(MqttServerName s, EdgeNodeDescriptor n, Message m) {
        }

        @Override
        public void onNodeDataComplete(MqttServerName s, EdgeNodeDescriptor n) {
        }

        @Override
        public void onNodeDeath(MqttServerName s, EdgeNodeDescriptor n, Message m) {
        }

        @Override
        public void onNodeDeathComplete(MqttServerName s, EdgeNodeDescriptor n) {
        }

        @Override
        public void onDeviceBirthComplete(MqttServerName s, DeviceDescriptor d) {
        }

        @Override
        public void onDeviceDataComplete(MqttServerName s, DeviceDescriptor d) {
        }

        @Override
        public void onDeviceDeath(MqttServerName s, DeviceDescriptor d, Message m) {
        }

        @Override
        public void onDeviceDeathComplete(MqttServerName s, DeviceDescriptor d) {
        }

        @Override
        public void onDataMetric(MqttServerName s, SparkplugDescriptor d, Metric m) {
        }

        @Override
        public void onStale(MqttServerName s, SparkplugDescriptor d, Metric m) {
        }
    }
}
