package io.pm500.sink.sparkplug.internal;

import static io.pm500.sink.sparkplug.internal.SparkplugFixture.good;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.reading;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.eclipse.tahu.model.MetricDataTypeMap;
import org.junit.jupiter.api.Test;

/**
 * The edge node's Sparkplug state machine without a broker (issue 21: the session split from the messages): what it
 * publishes, in which order and with which {@code seq}, decoded with Eclipse Tahu's decoder.
 */
class NodeMessagesTest {
    private static final Instant T = Instant.parse("2026-12-02T10:00:00Z");

    private final List<String> topics = new ArrayList<>();
    private final List<SparkplugBPayload> payloads = new ArrayList<>();
    private final MetricDataTypeMap types = new MetricDataTypeMap();
    private final AtomicInteger birthsOnTheirOwn = new AtomicInteger();
    private final NodeMessages node = new NodeMessages(settings("n1", List.of("tcp://127.0.0.1:1"), ""),
            SparkplugFixture.Catalog.NONE, () -> NodeHealth.NONE, this::wire, birthsOnTheirOwn::incrementAndGet);

    private void wire(String topic, byte[] payload) {
        try {
            SparkplugBPayload p = new SparkplugBPayloadDecoder().buildFromByteArray(payload, types);
            if (topic.contains("BIRTH")) {
                for (Metric m : p.getMetrics()) {
                    if (m.hasAlias()) {
                        types.addMetricDataType(m.getAlias(), m.getDataType());
                    }
                }
            }
            topics.add(topic.substring("spBv1.0/pm500/".length()));
            payloads.add(p);
        } catch (Exception e) {
            throw new IllegalStateException("undecodable payload on " + topic, e);
        }
    }

    private List<String> since(int from) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < topics.size(); i++) {
            out.add(topics.get(i) + " seq " + payloads.get(i).getSeq());
        }
        return out;
    }

    @Test
    void birthsDataAndDeathsGoOutInOrderWithTheirSeq() throws Exception {
        assertThat(node.birth(7)).as("no device yet").isZero();
        assertThat(since(0)).containsExactly("NBIRTH/n1 seq 0");
        assertThat(payloads.get(0).getMetrics()).filteredOn(m -> "bdSeq".equals(m.getName())).singleElement()
                .satisfies(m -> assertThat(m.getValue()).isEqualTo(7L));

        node.batch(List.of(good("feeder-1", "voltage.l1n", 230, T)), false);
        node.batch(List.of(good("feeder-1", "voltage.l1n", 231, T.plusSeconds(1))), false);
        node.batch(List.of(reading("feeder-1", "voltage.l1n", Value.of(231.0), Quality.STALE, "V",
                T.plusSeconds(2))), false);
        node.batch(List.of(reading("feeder-1", "voltage.l1n", Value.of(231.0), Quality.STALE, "V",
                T.plusSeconds(3))), false);
        assertThat(since(1)).as("born with its first value, data, then dead once every value is STALE").containsExactly(
                "DBIRTH/n1/feeder-1 seq 1", "DDATA/n1/feeder-1 seq 2", "DDEATH/n1/feeder-1 seq 3");

        assertThat(node.birth(8)).as("a dead device is not born again with the node").isZero();
        node.batch(List.of(good("feeder-1", "voltage.l1n", 229, T.plusSeconds(4))), false);
        assertThat(since(4)).containsExactly("NBIRTH/n1 seq 0", "DBIRTH/n1/feeder-1 seq 1");
        assertThat(birthsOnTheirOwn).as("plain mode: no NBIRTH but those asked for").hasValue(0);
    }

    @Test
    void idsWithPercentSignsAreTopicsAsWritten() throws Exception {
        List<String> raw = new ArrayList<>();
        NodeMessages percent = new NodeMessages(new SparkplugSettings("sparkplug", "Plant 50%", "line %s %d", List.of(
                "tcp://127.0.0.1:1"), "pm500-n1", "", null, null, null, null, "", 30, 5, 60_000, 0, false),
                SparkplugFixture.Catalog.NONE, () -> NodeHealth.NONE, (topic, payload) -> raw.add(topic), () -> { });
        percent.birth(1);
        percent.batch(List.of(good("feeder-1", "voltage.l1n", 230, T)), false);
        percent.batch(List.of(good("feeder-1", "voltage.l1n", 231, T.plusSeconds(1))), false);
        assertThat(raw).containsExactly("spBv1.0/Plant 50%/NBIRTH/line %s %d",
                "spBv1.0/Plant 50%/DBIRTH/line %s %d/feeder-1", "spBv1.0/Plant 50%/DDATA/line %s %d/feeder-1");
    }

    @Test
    void seqWrapsFrom255To0() throws Exception {
        node.birth(1);
        for (int i = 0; i < 300; i++) {
            node.batch(List.of(good("feeder-1", "voltage.l1n", 230 + i % 2, T.plusSeconds(i))), false);
        }
        assertThat(payloads.get(255).getSeq()).isEqualTo(255);
        assertThat(payloads.get(256).getSeq()).isZero();
        assertThat(payloads.get(300).getSeq()).isEqualTo(44);
    }

    @Test
    void aMeterPublishedUnderANewAssetKillsItsFormerDevice() throws Exception {
        node.birth(1);
        node.batch(List.of(reading("feeder-1", "voltage.l1n", Value.of(230.0), Quality.GOOD, "V", T)), false);
        // the same meter (meter-feeder-1 in the fixture) now under another asset id: not the fixture's, so by hand
        node.batch(List.of(new io.pm500.api.reading.EnrichedReading(99, "meter-feeder-1", "site", "area", "feeder-9",
                "voltage.l1n", io.pm500.api.reading.Phase.NONE, "V", Value.of(231.0), Quality.GOOD, T.plusSeconds(1),
                T.plusSeconds(1))), false);
        assertThat(since(1)).as("the former device dies before the new one is born").containsExactly(
                "DBIRTH/n1/feeder-1 seq 1", "DDEATH/n1/feeder-1 seq 2", "DBIRTH/n1/feeder-9 seq 3");
    }

    @Test
    void historicalBacklogOfALostDeviceIsBornForItAndDiesAgain() throws Exception {
        node.birth(1);
        node.batch(List.of(good("feeder-1", "voltage.l1n", 230, T)), false);
        node.batch(List.of(reading("feeder-1", "voltage.l1n", Value.of(230.0), Quality.STALE, "V",
                T.plusSeconds(5))), false);
        node.batch(List.of(good("feeder-1", "voltage.l1n", 228, T.plusSeconds(1))), true);
        assertThat(since(3)).containsExactly("DBIRTH/n1/feeder-1 seq 3", "DDATA/n1/feeder-1 seq 4",
                "DDEATH/n1/feeder-1 seq 5");
        assertThat(payloads.get(4).getMetrics()).allSatisfy(m -> assertThat(m.isHistorical()).isTrue());
    }

    @Test
    void theHostsStateIsFollowedNewestFirst() throws IOException {
        PrimaryHost host = new PrimaryHost();
        assertThat(host.state(state(true, 100))).isEqualTo(PrimaryHost.Change.ONLINE);
        assertThat(host.state(state(true, 101))).isEqualTo(PrimaryHost.Change.NONE);
        assertThat(host.state(state(false, 50))).as("older than the newest: late").isEqualTo(PrimaryHost.Change.NONE);
        assertThat(host.state(state(false, 102))).isEqualTo(PrimaryHost.Change.OFFLINE);
        host.newSession();
        assertThat(host.state(state(true, 102))).isEqualTo(PrimaryHost.Change.ONLINE);
    }

    @Test
    void commandsAreReadByNameOrAlias() {
        Commands.Node c = Commands.node("s", List.of(new Payloads.Command(Payloads.REBIRTH, null, true),
                new Payloads.Command(null, Payloads.ALIAS_SCAN_RATE, 5000L),
                new Payloads.Command("Node Control/Reboot", null, true)));
        assertThat(c).isEqualTo(new Commands.Node(true, false, 5000L));
        assertThat(Commands.deviceRebirth("s", "feeder-1", 42L, List.of(new Payloads.Command(null, 42L, true))))
                .isTrue();
        assertThat(Commands.deviceRebirth("s", "feeder-1", null, List.of(new Payloads.Command(
                Payloads.DEVICE_REBIRTH, null, true)))).as("a device this node does not know").isFalse();
    }

    private static byte[] state(boolean online, long timestamp) {
        return ("{\"online\":" + online + ",\"timestamp\":" + timestamp + "}").getBytes(
                java.nio.charset.StandardCharsets.UTF_8);
    }
}
