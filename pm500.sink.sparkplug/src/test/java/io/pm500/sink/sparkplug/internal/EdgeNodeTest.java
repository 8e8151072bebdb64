package io.pm500.sink.sparkplug.internal;

import static io.pm500.sink.sparkplug.internal.SparkplugFixture.await;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.deliver;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.good;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.metric;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.reading;
import static io.pm500.sink.sparkplug.internal.SparkplugFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.SinkException;
import io.pm500.demo.EmbeddedBroker;
import io.pm500.demo.SparkplugSubscriber.Received;
import io.pm500.sink.sparkplug.internal.SparkplugFixture.Recorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.Template;
import org.eclipse.tahu.protobuf.SparkplugBProto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** The edge node against a real MQTT 5 broker (HiveMQ CE) and a subscriber decoding with Eclipse Tahu. */
@Tag("slow")
class EdgeNodeTest {
    @TempDir
    static Path brokerDir;
    static EmbeddedBroker broker;

    @TempDir
    Path data;
    String node;
    Recorder rec;
    final List<EdgeNode> nodes = new ArrayList<>();
    SparkplugFixture.Catalog catalog = SparkplugFixture.Catalog.NONE;
    Supplier<List<String>> meters = List::of;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedBroker.start(brokerDir, 0);
    }

    @AfterAll
    static void stopBroker() {
        broker.stop();
    }

    @BeforeEach
    void subscribe(TestInfo info) throws Exception {
        node = "test-" + info.getTestMethod().orElseThrow().getName();
        rec = new Recorder(broker.uri(), "rec-" + node);
    }

    @AfterEach
    void stop() throws Exception {
        nodes.forEach(EdgeNode::stop);
        rec.close();
    }

    EdgeNode start(SparkplugSettings s) {
        EdgeNode n = new EdgeNode(s, new BdSeqStore(data.resolve("bdSeq")), () -> new NodeHealth(3, 2, 10, 0, 0, 1796225859870L, 0),
                catalog.withMeters(meters.get()));
        nodes.add(n);
        n.start();
        return n;
    }

    EdgeNode start() {
        return start(settings(node, List.of(broker.uri()), ""));
    }

    @Test
    void birthsListEveryMetricWithDatatypeAliasUnitAndQualityThenDataUsesAliases() {
        EdgeNode n = start();
        Received nbirth = rec.awaitOne(node, "NBIRTH", 0);
        assertThat(nbirth.topic()).isEqualTo("spBv1.0/pm500/NBIRTH/" + node);
        assertThat(nbirth.payload().getSeq()).isZero();
        assertThat(metric(nbirth, "bdSeq").getValue()).isEqualTo(0L);
        assertThat(metric(nbirth, "Node Control/Rebirth").getValue()).isEqualTo(false);
        assertThat(metric(nbirth, "Node Control/Rebirth").hasAlias())
                .as("tck-id-operational-behavior-data-commands-rebirth-name-aliases: no alias").isFalse();
        assertThat(metric(nbirth, "Node Control/Next Server").getDataType()).isEqualTo(MetricDataType.Boolean);
        assertThat(metric(nbirth, "Node Control/Scan Rate").getValue()).isEqualTo(60_000L);
        assertThat(metric(nbirth, "Gateway/Meters Online").getValue()).isEqualTo(2);
        assertThat(metric(nbirth, "Gateway/Outbox/Queued").getValue()).isEqualTo(10L);
        assertThat(metric(nbirth, "Gateway/Fleet/Release").getValue()).isEqualTo(1796225859870L);
        assertThat(metric(nbirth, "Gateway/Fleet/Failed Release").getValue()).isEqualTo(0L);

        Instant t0 = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-1", "voltage.l1n", 230.5, t0),
                reading("feeder-1", "energy.active.import.total", Value.of(123_456_789_012L), Quality.GOOD, "Wh", t0),
                reading("feeder-1", "current.l1", null, Quality.BAD, "A", t0),
                reading("feeder-1", "pf.total", Value.of(1.3), Quality.UNCERTAIN, "", t0),
                reading("feeder-1", "serial", Value.of("PM5-0001"), Quality.GOOD, "", t0)), false);

        Received dbirth = rec.awaitOne(node, "DBIRTH", 0);
        assertThat(dbirth.topic()).isEqualTo("spBv1.0/pm500/DBIRTH/" + node + "/feeder-1");
        assertThat(dbirth.payload().getSeq()).isEqualTo(1L);
        assertThat(metric(dbirth, "Device Control/Rebirth").getValue()).isEqualTo(false);
        Metric v = metric(dbirth, "Voltage/L1-N");
        assertThat(v.getDataType()).isEqualTo(MetricDataType.Double);
        assertThat(v.getValue()).isEqualTo(230.5);
        assertThat(v.getTimestamp().toInstant()).isEqualTo(t0);
        assertThat(v.getProperties().getPropertyValue("engUnit").getValue()).isEqualTo("V");
        assertThat(v.getProperties().getPropertyValue("Quality").getValue()).isEqualTo(192);
        Metric e = metric(dbirth, "Energy/Active/Import/Total");
        assertThat(e.getDataType()).isEqualTo(MetricDataType.Int64);
        assertThat(e.getValue()).isEqualTo(123_456_789_012L);
        Metric bad = metric(dbirth, "Current/L1");
        assertThat(bad.getIsNull()).isTrue();
        assertThat(bad.getProperties().getPropertyValue("Quality").getValue()).isEqualTo(0);
        assertThat(metric(dbirth, "Power Factor/Total").getProperties().getPropertyValue("Quality").getValue())
                .isEqualTo(64);
        assertThat(metric(dbirth, "Serial").getDataType()).isEqualTo(MetricDataType.String);
        Set<Long> aliases = new HashSet<>();
        nbirth.payload().getMetrics().stream().filter(Metric::hasAlias).forEach(m -> aliases.add(m.getAlias()));
        dbirth.payload().getMetrics().forEach(m -> assertThat(aliases.add(m.getAlias())).as("unique alias").isTrue());

        Instant t1 = t0.plusSeconds(1);
        deliver(n, List.of(good("feeder-1", "voltage.l1n", 231.0, t1),
                reading("feeder-1", "current.l1", Value.of(12.5), Quality.GOOD, "A", t1)), false);
        Received ddata = rec.awaitOne(node, "DDATA", 0);
        assertThat(ddata.payload().getSeq()).isEqualTo(2L);
        assertThat(ddata.payload().getMetrics()).allSatisfy(m -> assertThat(m.hasName()).isFalse());
        Metric dv = ddata.payload().getMetrics().get(0);
        assertThat(rec.subscriber.nameOf("pm500/" + node, dv.getAlias())).isEqualTo("Voltage/L1-N");
        assertThat(dv.getValue()).isEqualTo(231.0);
        assertThat(dv.getProperties()).as("GOOD and unchanged: no Quality property").isNull();
        Metric dc = ddata.payload().getMetrics().get(1);
        assertThat(dc.getValue()).isEqualTo(12.5);
        assertThat(dc.getProperties().getPropertyValue("Quality").getValue()).as("BAD → GOOD is announced")
                .isEqualTo(192);
    }

    @Test
    void withTheCatalogueTheFirstBirthDeclaresEveryMetricAndLaterBlocksAreData() throws Exception {
        catalog = SparkplugFixture.Catalog.declaring(meterId -> meterId.equals("meter-feeder-10") ? List.of(
                new MetricInfo("voltage.l1n", Phase.L1, "V", MetricInfo.Kind.REAL),
                new MetricInfo("energy.active.import.total", Phase.TOTAL, "Wh", MetricInfo.Kind.INT),
                new MetricInfo("serial", Phase.NONE, "", MetricInfo.Kind.TEXT)) : List.of());
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-10", "voltage.l1n", 230, t)), false);
        Received birth = rec.awaitOne(node, "DBIRTH", 0);
        assertThat(birth.payload().getMetrics()).extracting(Metric::getName).containsExactly(
                "Device Control/Rebirth", "Voltage/L1-N", "Energy/Active/Import/Total", "Serial");
        Metric energy = metric(birth, "Energy/Active/Import/Total");
        assertThat(energy.getDataType()).isEqualTo(MetricDataType.Int64);
        assertThat(energy.getIsNull()).isTrue();
        assertThat(energy.getProperties().getPropertyValue("Quality").getValue()).isEqualTo(0);
        assertThat(energy.getProperties().getPropertyValue("engUnit").getValue()).isEqualTo("Wh");
        assertThat(metric(birth, "Serial").getDataType()).isEqualTo(MetricDataType.String);
        // issue 17 fault 8: a metric never read is stamped with the birth time, not 1970; the rebirth control has a
        // Quality like every other metric
        assertThat(energy.getTimestamp()).isEqualTo(birth.payload().getTimestamp());
        assertThat(metric(birth, "Device Control/Rebirth").getProperties().getPropertyValue("Quality").getValue())
                .isEqualTo(192);

        deliver(n, List.of(reading("feeder-10", "energy.active.import.total", Value.of(42L), Quality.GOOD, "Wh",
                t.plusSeconds(1)), reading("feeder-10", "serial", Value.of("PM5-7"), Quality.GOOD, "",
                t.plusSeconds(1))), false);
        Received data = rec.awaitOne(node, "DDATA", 0);
        assertThat(data.payload().getMetrics()).extracting(Metric::getValue).containsExactly(42L, "PM5-7");
        assertThat(rec.of(node, "DBIRTH")).as("one birth per device").hasSize(1);
        // tck-id-payloads-metric-datatype-not-req: DATA metrics carry alias and value, the birth gave the datatype
        assertThat(SparkplugBProto.Payload.parseFrom(data.raw()).getMetricsList())
                .allSatisfy(m -> assertThat(m.hasDatatype()).as("datatype in DDATA").isFalse());
        publishCommand("NCMD", node, null, 30_000L, Payloads.ALIAS_SCAN_RATE, false);
        Received ndata = rec.awaitOne(node, "NDATA", 0);
        assertThat(SparkplugBProto.Payload.parseFrom(ndata.raw()).getMetricsList()).isNotEmpty()
                .allSatisfy(m -> assertThat(m.hasDatatype()).as("datatype in NDATA").isFalse());
        assertThat(ndata.payload().getMetrics()).extracting(Metric::getValue).contains(30_000L);
    }

    /**
     * Issue 17 fault 3: a meter in an outage (failed reads BAD while the driver retries, STALE once it reports the
     * meter LOST, and so on) dies once and stays dead, silent, until a fresh value brings one DBIRTH.
     */
    @Test
    void aMeterInAnOutageDiesOnceAndIsBornAgainOnlyByAFreshValue() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-4", "voltage.l1n", 230, t), good("feeder-4", "voltage.l2n", 231, t)), false);
        for (int i = 1; i <= 6; i++) {
            Quality q = i % 2 == 1 ? Quality.BAD : Quality.STALE;
            Value v = q == Quality.BAD ? null : Value.of(230.0);
            deliver(n, List.of(reading("feeder-4", "voltage.l1n", v, q, "V", t.plusSeconds(i)),
                    reading("feeder-4", "voltage.l2n", v, q, "V", t.plusSeconds(i))), false);
        }
        deliver(n, List.of(good("feeder-4", "voltage.l1n", 229, t.plusSeconds(9))), false);
        Received reborn = rec.awaitOne(node, "DBIRTH", 1);
        assertThat(rec.where(r -> "feeder-4".equals(r.device()))).extracting(Received::type)
                .containsExactly("DBIRTH", "DDATA", "DDEATH", "DBIRTH");
        assertThat(metric(reborn, "Voltage/L1-N").getValue()).isEqualTo(229.0);
        assertThat(metric(reborn, "Voltage/L2-N").getProperties().getPropertyValue("Quality").getValue())
                .as("the newest known state of a metric not read again yet").isEqualTo(500);
    }

    /**
     * A backlog replayed as historical data: a device alive now is born once for it and stays born (a gateway's
     * start-up, the sink online after the first polls); a device lost now is born once for its backlog and dies
     * again after it — not once per poll of the backlog.
     */
    @Test
    void aBacklogGetsOneBirthAndADeviceLostNowOneDeathAfterIt() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        List<EnrichedReading> backlog = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            backlog.add(good("feeder-11", "voltage.l1n", 230 + i, t.plusSeconds(i)));
        }
        deliver(n, backlog, true);
        rec.awaitOne(node, "DDATA", 2);
        assertThat(rec.where(r -> "feeder-11".equals(r.device()))).extracting(Received::type)
                .containsExactly("DBIRTH", "DDATA", "DDATA", "DDATA");

        deliver(n, List.of(reading("feeder-11", "voltage.l1n", Value.of(232.0), Quality.STALE, "V",
                t.plusSeconds(10))), false);
        rec.awaitOne(node, "DDEATH", 0);
        backlog.clear();
        for (int i = 0; i < 3; i++) {
            backlog.add(good("feeder-11", "voltage.l1n", 240 + i, t.plusSeconds(5 + i)));
        }
        deliver(n, backlog, true);
        rec.awaitOne(node, "DDEATH", 1);
        assertThat(rec.where(r -> "feeder-11".equals(r.device()))).extracting(Received::type)
                .containsExactly("DBIRTH", "DDATA", "DDATA", "DDATA", "DDEATH", "DBIRTH", "DDATA", "DDATA", "DDATA",
                        "DDEATH");
    }

    /** A meter that never answered is not born: no DBIRTH of nulls, nothing at all until a fresh value. */
    @Test
    void aMeterThatNeverAnsweredIsNotBorn() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(reading("feeder-5", "voltage.l1n", null, Quality.BAD, "V", t)), false);
        deliver(n, List.of(good("feeder-6", "voltage.l1n", 230, t)), false);
        rec.awaitOne(node, "DBIRTH", 0);
        assertThat(rec.where(r -> r.device() != null)).extracting(Received::device).containsExactly("feeder-6");
    }

    /**
     * Issue 17 fault 4: a new session of a reconfigured sink starts from the pipeline's newest readings, so its
     * DBIRTH carries every metric's newest value, quality and acquisition time — the identity read once per
     * connection included — not nulls stamped 1970 until the meter reconnects.
     */
    @Test
    void aReconfiguredSinkBirthsTheNewestValueOfEveryMetric() {
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        List<EnrichedReading> newest = List.of(
                reading("feeder-7", "identity.serial", Value.of(123_456_789L), Quality.GOOD, "", t),
                reading("feeder-7", "identity.product.name", Value.of("PowerMonitor 500"), Quality.GOOD, "", t),
                reading("feeder-7", "firmware.revision", Value.of("4.010"), Quality.GOOD, "", t.plusSeconds(1)),
                good("feeder-7", "voltage.l1n", 230, t.plusSeconds(2)));
        catalog = new SparkplugFixture.Catalog(id -> List.of(
                new MetricInfo("voltage.l1n", Phase.L1, "V", MetricInfo.Kind.REAL),
                new MetricInfo("firmware.revision", Phase.NONE, "", MetricInfo.Kind.TEXT)),
                id -> id.equals("meter-feeder-7") ? newest : List.of());
        EdgeNode n = start();
        deliver(n, List.of(good("feeder-7", "voltage.l1n", 231, t.plusSeconds(3))), false);
        Received birth = rec.awaitOne(node, "DBIRTH", 0);
        assertThat(birth.payload().getMetrics()).extracting(Metric::getName).containsExactlyInAnyOrder(
                "Device Control/Rebirth", "Voltage/L1-N", "Firmware/Revision", "Identity/Serial",
                "Identity/Product/Name");
        assertThat(metric(birth, "Voltage/L1-N").getValue()).as("this poll's value").isEqualTo(231.0);
        assertThat(metric(birth, "Identity/Serial").getValue()).isEqualTo(123_456_789L);
        assertThat(metric(birth, "Identity/Serial").getTimestamp().toInstant()).isEqualTo(t);
        assertThat(metric(birth, "Firmware/Revision").getValue()).isEqualTo("4.010");
        assertThat(metric(birth, "Firmware/Revision").getProperties().getPropertyValue("Quality").getValue())
                .isEqualTo(192);
    }

    @Test
    void templateModeDefinesUdtsInTheNbirthAndSendsInstances() throws Exception {
        List<MetricInfo> process = List.of(new MetricInfo("voltage.l1n", Phase.L1, "V", MetricInfo.Kind.REAL),
                new MetricInfo("current.l1", Phase.L1, "A", MetricInfo.Kind.REAL));
        List<MetricInfo> withEnergy = new ArrayList<>(process);
        withEnergy.add(new MetricInfo("energy.active.import.total", Phase.TOTAL, "Wh", MetricInfo.Kind.INT));
        catalog = SparkplugFixture.Catalog.declaring(meterId -> meterId.equals("meter-feeder-12") ? withEnergy : process);
        meters = () -> List.of("meter-feeder-11", "meter-feeder-12");
        SparkplugSettings plain = settings(node, List.of(broker.uri()), "");
        EdgeNode n = start(new SparkplugSettings(plain.sinkName(), plain.groupId(), plain.edgeNodeId(),
                plain.brokerUris(), plain.clientId(), "", null, null, null, null, "", 30, 5, 60_000, 0, true));

        Received nbirth = rec.awaitOne(node, "NBIRTH", 0);
        Metric def = metric(nbirth, "tpl_device_process");
        assertThat(def.getDataType()).isEqualTo(MetricDataType.Template);
        Template process0 = (Template) def.getValue();
        assertThat(process0.isDefinition()).isTrue();
        // Tahu's decoder reads an absent template_ref as "": check the wire (§6.4.17: definitions omit it)
        assertThat(org.eclipse.tahu.protobuf.SparkplugBProto.Payload.parseFrom(nbirth.raw()).getMetricsList().stream()
                .filter(m -> m.getName().equals("tpl_device_process")).findFirst().orElseThrow().getTemplateValue()
                .hasTemplateRef()).isFalse();
        assertThat(process0.getMetrics()).extracting(Metric::getName).containsExactly("Voltage/L1-N", "Current/L1");
        assertThat(((Template) metric(nbirth, "tpl_device_energy").getValue()).getMetrics())
                .extracting(Metric::getDataType).containsExactly(MetricDataType.Int64);

        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-11", "voltage.l1n", 230, t)), false);
        Received dbirth = rec.awaitOne(node, "DBIRTH", 0);
        Template instance = (Template) metric(dbirth, "Process").getValue();
        assertThat(instance.isDefinition()).isFalse();
        assertThat(instance.getTemplateRef()).isEqualTo("tpl_device_process");
        assertThat(instance.getMetrics()).extracting(Metric::getName).containsExactly("Voltage/L1-N", "Current/L1");
        assertThat(instance.getMetrics().get(0).getValue()).isEqualTo(230.0);
        assertThat(instance.getMetrics().get(1).getIsNull()).isTrue();
        assertThat(((Template) metric(dbirth, "Energy").getValue()).getMetrics()).as("every member, in births")
                .singleElement().satisfies(m -> assertThat(m.getIsNull()).isTrue());
        assertThat(dbirth.payload().getMetrics()).extracting(Metric::getName)
                .containsExactly("Device Control/Rebirth", "Process", "Energy");

        deliver(n, List.of(reading("feeder-11", "current.l1", Value.of(12.5), Quality.GOOD, "A", t.plusSeconds(1))),
                false);
        Received ddata = rec.awaitOne(node, "DDATA", 0);
        Metric data = ddata.payload().getMetrics().get(0);
        assertThat(data.hasName()).isFalse();
        assertThat(rec.subscriber.nameOf("pm500/" + node, data.getAlias())).isEqualTo("Process");
        Template changed = (Template) data.getValue();
        assertThat(changed.getTemplateRef()).isEqualTo("tpl_device_process");
        assertThat(changed.getMetrics()).as("only what changed").singleElement().satisfies(m -> {
            assertThat(m.getName()).isEqualTo("Current/L1");
            assertThat(m.getValue()).isEqualTo(12.5);
        });
    }

    @Test
    void seqRunsOnEveryMessageAndWrapsAndBdSeqMatchesAcrossRestarts() {
        EdgeNode n = start();
        rec.awaitOne(node, "NBIRTH", 0);
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        for (int i = 0; i < 300; i++) {
            deliver(n, List.of(good("feeder-1", "voltage.l1n", 230 + i, t.plusSeconds(i))), false);
        }
        rec.awaitOne(node, "DDATA", 298); // the first poll is the DBIRTH
        List<Received> session = rec.where(r -> node.equals(r.node()) && !"NDEATH".equals(r.type()));
        assertThat(session).hasSize(301);
        for (int i = 0; i < session.size(); i++) {
            assertThat(session.get(i).payload().getSeq()).as("seq of message " + i).isEqualTo(i % 256L);
        }
        long bdSeq = (Long) metric(rec.of(node, "NBIRTH").get(0), "bdSeq").getValue();

        n.stop();
        Received ndeath = rec.awaitOne(node, "NDEATH", 0);
        assertThat(ndeath.payload().getSeq()).as("NDEATH has no seq").isNull();
        assertThat(metric(ndeath, "bdSeq").getValue()).isEqualTo(bdSeq);

        start(); // a restarted gateway: same data directory
        Received again = rec.awaitOne(node, "NBIRTH", 1);
        assertThat(metric(again, "bdSeq").getValue()).isEqualTo(bdSeq + 1);
        assertThat(again.payload().getSeq()).isZero();
    }

    @Test
    void aLostMeterGetsDdeathAndABirthWhenItReturns() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-2", "voltage.l1n", 230, t), good("feeder-2", "voltage.l2n", 231, t)), false);
        rec.awaitOne(node, "DBIRTH", 0);
        deliver(n, List.of(reading("feeder-2", "voltage.l1n", Value.of(230.0), Quality.STALE, "V", t.plusSeconds(5)),
                reading("feeder-2", "voltage.l2n", Value.of(231.0), Quality.STALE, "V", t.plusSeconds(5))), false);
        Received death = rec.awaitOne(node, "DDEATH", 0);
        assertThat(death.topic()).endsWith("/DDEATH/" + node + "/feeder-2");
        assertThat(death.payload().getSeq()).isEqualTo(2L);

        deliver(n, List.of(good("feeder-2", "voltage.l1n", 229, t.plusSeconds(9))), false);
        Received reborn = rec.awaitOne(node, "DBIRTH", 1);
        assertThat(metric(reborn, "Voltage/L1-N").getValue()).isEqualTo(229.0);
        assertThat(metric(reborn, "Voltage/L2-N").getProperties().getPropertyValue("Quality").getValue())
                .isEqualTo(500);
        assertThat(rec.of(node, "DDATA")).isEmpty();
    }

    @Test
    void aMeterPublishedUnderAnotherAssetRetiresItsFormerDevice() throws Exception {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(asAsset("meter-9", good("feeder-9", "voltage.l1n", 230, t))), false);
        rec.awaitOne(node, "DBIRTH", 0);
        deliver(n, List.of(good("feeder-9", "voltage.l1n", 231, t.plusSeconds(1))), false); // the asset is now known
        Received death = rec.awaitOne(node, "DDEATH", 0);
        assertThat(death.device()).isEqualTo("meter-9");
        Received birth = rec.awaitOne(node, "DBIRTH", 1);
        assertThat(birth.device()).isEqualTo("feeder-9");
        assertThat(birth.payload().getSeq()).isEqualTo(death.payload().getSeq() + 1);

        publishCommand("NCMD", node, "Node Control/Rebirth", true);
        rec.awaitOne(node, "NBIRTH", 1);
        rec.awaitOne(node, "DBIRTH", 2);
        SparkplugFixture.sleep(500);
        assertThat(rec.of(node, "DBIRTH").subList(2, rec.of(node, "DBIRTH").size())).as("births after the rebirth")
                .extracting(Received::device).containsExactly("feeder-9");
    }

    private static EnrichedReading asAsset(String asset, EnrichedReading r) {
        return new EnrichedReading(r.sequence(), r.meterId(), "", "", asset, r.metric(), r.phase(), r.unit(),
                r.value(), r.quality(), r.acquiredAt(), r.enrichedAt());
    }

    @Test
    void historicalBatchesAreFlaggedAndNeverOverwriteNewerValues() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-3", "voltage.l1n", 230, t.plusSeconds(60))), false);
        rec.awaitOne(node, "DBIRTH", 0);
        deliver(n, List.of(good("feeder-3", "voltage.l1n", 220, t)), true);
        Received hist = rec.awaitOne(node, "DDATA", 0);
        assertThat(hist.payload().getMetrics().get(0).isHistorical()).isTrue();
        assertThat(hist.payload().getMetrics().get(0).getTimestamp().toInstant()).isEqualTo(t);

        publishCommand("NCMD", node, "Node Control/Rebirth", true);
        Received reborn = rec.awaitOne(node, "DBIRTH", 1);
        assertThat(metric(reborn, "Voltage/L1-N").getValue()).as("current value, not the historical one")
                .isEqualTo(230.0);
    }

    @Test
    void aBirthAfterAnOutageShowsTheNewestReplayedValues() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        rec.awaitOne(node, "NBIRTH", 0);
        deliver(n, List.of(good("feeder-8", "voltage.l1n", 225, t), good("feeder-8", "voltage.l1n", 226,
                t.plusSeconds(1))), true);
        Received birth = rec.awaitOne(node, "DBIRTH", 0);
        assertThat(metric(birth, "Voltage/L1-N").getValue()).isEqualTo(226.0);
        assertThat(metric(birth, "Voltage/L1-N").getTimestamp().toInstant()).isEqualTo(t.plusSeconds(1));
        assertThat(rec.awaitOne(node, "DDATA", 1).payload().getMetrics().get(0).isHistorical()).isTrue();
    }

    @Test
    void datatypesStayPutUnlessAValueCannotBeCarried() {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(reading("feeder-9", "energy.active.import.total", null, Quality.BAD, "Wh", t)), false);
        // the same counter read as an integer (Modbus) and as REAL (EtherNet/IP): no rebirth, the value rides along
        deliver(n, List.of(reading("feeder-9", "energy.active.import.total", Value.of(1_000_000L), Quality.GOOD, "Wh",
                t.plusSeconds(1))), false);
        Received born = rec.awaitOne(node, "DBIRTH", 0);
        assertThat(metric(born, "Energy/Active/Import/Total").getDataType()).as("born Double: first seen without a"
                + " value").isEqualTo(MetricDataType.Double);
        assertThat(metric(born, "Energy/Active/Import/Total").getValue()).isEqualTo(1_000_000.0);
        deliver(n, List.of(reading("feeder-9", "energy.active.import.total", Value.of(1_000_001.5), Quality.GOOD, "Wh",
                t.plusSeconds(2))), false);
        assertThat(rec.awaitOne(node, "DDATA", 0).payload().getMetrics().get(0).getValue()).isEqualTo(1_000_001.5);
        assertThat(rec.of(node, "DBIRTH")).hasSize(1);
        // text where a number was: born again with the new datatype
        deliver(n, List.of(reading("feeder-9", "energy.active.import.total", Value.of("n/a"), Quality.UNCERTAIN, "Wh",
                t.plusSeconds(3))), false);
        assertThat(metric(rec.awaitOne(node, "DBIRTH", 1), "Energy/Active/Import/Total").getDataType())
                .isEqualTo(MetricDataType.String);
    }

    @Test
    void rebirthCommandsAnswerAndBadCommandsAreIgnored() throws Exception {
        EdgeNode n = start();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-4", "voltage.l1n", 230, t), good("feeder-5", "voltage.l1n", 231, t)), false);
        rec.awaitOne(node, "DBIRTH", 1);
        long bdSeq = (Long) metric(rec.of(node, "NBIRTH").get(0), "bdSeq").getValue();

        rec.subscriber.publish("spBv1.0/pm500/NCMD/" + node, "not protobuf".getBytes(StandardCharsets.UTF_8), 1,
                false);
        publishCommand("NCMD", node, "Node Control/Reboot", true);
        publishCommand("DCMD", node + "/feeder-4", "Voltage/L1-N", 0.0);
        publishCommand("NCMD", node, "Node Control/Rebirth", true);
        Received nbirth = rec.awaitOne(node, "NBIRTH", 1);
        assertThat(nbirth.payload().getSeq()).isZero();
        assertThat(metric(nbirth, "bdSeq").getValue()).as("a rebirth keeps the bdSeq").isEqualTo(bdSeq);
        rec.awaitOne(node, "DBIRTH", 3);

        publishCommand("DCMD", node + "/feeder-5", "Device Control/Rebirth", true);
        Received one = rec.awaitOne(node, "DBIRTH", 4);
        assertThat(one.device()).isEqualTo("feeder-5");

        deliver(n, List.of(good("feeder-4", "voltage.l1n", 232, t.plusSeconds(1))), false);
        Received data = rec.awaitOne(node, "DDATA", 0);
        List<Received> session = rec.where(r -> node.equals(r.node()) && r.payload() != null
                && !r.type().endsWith("CMD"));
        int from = session.indexOf(nbirth);
        for (int i = from; i < session.size(); i++) {
            assertThat(session.get(i).payload().getSeq()).isEqualTo((long) (i - from) % 256);
        }
        assertThat(data.device()).isEqualTo("feeder-4");
    }

    @Test
    void rebirthByNameWithoutDatatypeAsTahusHostSendsItIsAnswered() throws Exception {
        EdgeNode n = start();
        deliver(n, List.of(good("feeder-7", "voltage.l1n", 230, Instant.parse("2026-11-27T10:00:00Z"))), false);
        Received dbirth = rec.awaitOne(node, "DBIRTH", 0);
        long deviceRebirthAlias = metric(dbirth, "Device Control/Rebirth").getAlias();
        publishCommand("NCMD", node, "Node Control/Rebirth", true, null, true); // the datatype is optional (§6.4.16)
        rec.awaitOne(node, "NBIRTH", 1);
        rec.awaitOne(node, "DBIRTH", 1);
        publishCommand("DCMD", node + "/feeder-7", null, true, deviceRebirthAlias, true); // by alias, no datatype
        assertThat(rec.awaitOne(node, "DBIRTH", 2).device()).isEqualTo("feeder-7");
    }

    @Test
    void aStateOlderThanTheLastOfflineIsIgnored() throws Exception {
        start(settings(node, List.of(broker.uri()), "scada-" + node));
        long ts = System.currentTimeMillis();
        state(true, ts);
        rec.awaitOne(node, "NBIRTH", 0);
        state(false, ts + 10);
        rec.awaitOne(node, "NDEATH", 0);
        state(true, ts + 5); // an online STATE from before the offline one, delivered late
        SparkplugFixture.sleep(2000);
        assertThat(rec.of(node, "NBIRTH")).as("no births while the host is offline").hasSize(1);
        state(true, ts + 20);
        rec.awaitOne(node, "NBIRTH", 1);
    }

    @Test
    void bdSeqAdvancesOncePerConnectSentNotPerRefusedAttempt() throws Exception {
        int refused;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            refused = closed.getLocalPort();
        }
        // two refused attempts (the failover list starts with a port nobody listens on), then the broker
        start(settings(node, List.of("tcp://127.0.0.1:" + refused, "tcp://127.0.0.1:" + refused, broker.uri()), ""));
        Received nbirth = rec.awaitOne(node, "NBIRTH", 0);
        assertThat(metric(nbirth, "bdSeq").getValue()).as("the first CONNECT sent").isEqualTo(0L);
    }

    @Test
    void aRebirthStormIsAnsweredOncePerDebounceWindow() throws Exception {
        SparkplugSettings plain = settings(node, List.of(broker.uri()), "");
        start(new SparkplugSettings(plain.sinkName(), plain.groupId(), plain.edgeNodeId(), plain.brokerUris(),
                plain.clientId(), "", null, null, null, null, "", 30, 5, 60_000, 2000, false));
        rec.awaitOne(node, "NBIRTH", 0);
        long stormFrom = System.currentTimeMillis();
        for (int i = 0; i < 10; i++) {
            publishCommand("NCMD", node, "Node Control/Rebirth", true);
        }
        Received answer = rec.awaitOne(node, "NBIRTH", 1);
        assertThat(answer.receivedAtMillis() - stormFrom).as("answered at the end of the window").isGreaterThan(1000);
        SparkplugFixture.sleep(3000);
        assertThat(rec.of(node, "NBIRTH")).as("ten requests, one rebirth").hasSize(2);

        long after = System.currentTimeMillis();
        publishCommand("NCMD", node, "Node Control/Rebirth", true);
        Received prompt = rec.awaitOne(node, "NBIRTH", 2);
        assertThat(prompt.receivedAtMillis() - after).as("outside the window: at once").isLessThan(1000);
    }

    @Test
    void primaryHostStateGatesBirthsAndOfflineEndsTheSession() throws Exception {
        EdgeNode n = start(settings(node, List.of(broker.uri()), "scada-" + node));
        SparkplugFixture.sleep(1500);
        assertThat(rec.of(node, "NBIRTH")).as("no births before the primary host is online").isEmpty();
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        assertThatThrownBy(() -> n.deliver(List.of(good("feeder-6", "voltage.l1n", 230, t)), false))
                .isInstanceOf(SinkException.class).hasMessageContaining("waiting for primary host 'scada-" + node)
                .satisfies(e -> assertThat(((SinkException) e).isRetriable()).isTrue());

        long ts = System.currentTimeMillis();
        state(true, ts);
        Received first = rec.awaitOne(node, "NBIRTH", 0);
        deliver(n, List.of(good("feeder-6", "voltage.l1n", 230, t)), false);
        rec.awaitOne(node, "DBIRTH", 0);

        state(false, ts - 10); // older than the last online: ignored
        state(false, ts + 1);
        Received death = rec.awaitOne(node, "NDEATH", 0);
        assertThat(metric(death, "bdSeq").getValue()).isEqualTo(metric(first, "bdSeq").getValue());
        SparkplugFixture.sleep(1500);
        assertThat(rec.of(node, "NBIRTH")).as("reconnected, waiting again").hasSize(1);

        state(true, ts + 2);
        Received second = rec.awaitOne(node, "NBIRTH", 1);
        assertThat(metric(second, "bdSeq").getValue()).isEqualTo((Long) metric(first, "bdSeq").getValue() + 1);
        rec.awaitOne(node, "DBIRTH", 1);
    }

    @Test
    void nextServerCommandMovesToTheOtherBroker(@TempDir Path otherDir) throws Exception {
        try (EmbeddedBroker other = EmbeddedBroker.start(otherDir, 0);
                Recorder otherRec = new Recorder(other.uri(), "rec2-" + node)) {
            start(settings(node, List.of(broker.uri(), other.uri()), ""));
            rec.awaitOne(node, "NBIRTH", 0);
            publishCommand("NCMD", node, "Node Control/Next Server", true);
            rec.awaitOne(node, "NDEATH", 0);
            Received there = otherRec.awaitOne(node, "NBIRTH", 0);
            assertThat(metric(there, "bdSeq").getValue()).isEqualTo(1L);
            nodes.forEach(EdgeNode::stop);
            nodes.clear();
            otherRec.awaitOne(node, "NDEATH", 0);
        }
    }

    @Test
    void aBrokerRestartBringsANewSessionWithNewBirthsAndTellsThePipelineAtOnce() throws Exception {
        EdgeNode n = start();
        AtomicInteger online = new AtomicInteger();
        n.onOnline(online::incrementAndGet); // the pipeline's "retry now" (Sink.onReady)
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        deliver(n, List.of(good("feeder-7", "voltage.l1n", 230, t)), false);
        rec.awaitOne(node, "DBIRTH", 0);
        rec.close();
        broker.stop();
        await("the node to notice", Duration.ofSeconds(30), () -> {
            try {
                n.deliver(List.of(good("feeder-7", "voltage.l1n", 231, t.plusSeconds(1))), false);
                return false;
            } catch (SinkException e) {
                return e.isRetriable();
            }
        });
        int before = online.get();
        broker.start();
        rec = new Recorder(broker.uri(), "rec-again-" + node);
        await("the node online again and saying so", Duration.ofSeconds(30), () -> online.get() > before);
        deliver(n, List.of(good("feeder-7", "voltage.l1n", 232, t.plusSeconds(2))), false);
        Received nbirth = rec.awaitOne(node, "NBIRTH", 0);
        assertThat((Long) metric(nbirth, "bdSeq").getValue()).isGreaterThanOrEqualTo(1L);
        Received dbirth = rec.awaitOne(node, "DBIRTH", 0);
        assertThat(dbirth.payload().getSeq()).isEqualTo(1L);
    }

    private void state(boolean online, long timestamp) throws Exception {
        rec.subscriber.publish("spBv1.0/STATE/scada-" + node, ("{\"online\":" + online + ",\"timestamp\":"
                + timestamp + "}").getBytes(StandardCharsets.UTF_8), 1, true).waitForCompletion(5000);
    }

    private void publishCommand(String type, String target, String name, Object value) {
        publishCommand(type, target, name, value, null, false);
    }

    /** A command by name or alias, with its datatype or, as a host may send it, without. */
    private void publishCommand(String type, String target, String name, Object value, Long alias,
            boolean withoutDatatype) {
        SparkplugFixture.command(rec, "spBv1.0/pm500/" + type + "/" + target, name, value, alias, withoutDatatype);
    }
}
