package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pm500.api.profile.ModbusSection;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.api.status.ConnectionState;
import io.pm500.driver.kit.ConnectionHealth;
import io.pm500.driver.kit.PollGrid;
import io.pm500.driver.modbus.internal.MeterSettings.BlockPlan;
import io.pm500.profile.DeviceProfiles;
import io.pm500.testkit.pipeline.DriverEvents;
import io.pm500.testkit.process.KnownRegisters;
import io.pm500.testkit.process.PyModbusPeer.Register;
import io.pm500.testkit.process.PyModbusPeer.Server;
import io.pm500.testkit.process.PyModbusPeer;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The driver against Modbus TCP servers we did not write (Debian's pymodbus): exact values of every PM500 block as
 * pymodbus encodes them, in both word orders; exception responses; and on the wire, what one poll of a late, silent,
 * confused or closing server costs. One pymodbus process serves the whole class.
 */
@Tag("slow")
class PymodbusServerTest {
    private static final int TIMEOUT_MILLIS = 500;
    private static ModbusSection map;
    private static Map<String, Value> expected;
    private static PyModbusPeer peer;

    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ConnectionHealth.class);
    private ModbusLoop loop;
    private MeterPoller poller;

    @BeforeAll
    static void startPymodbus() throws Exception {
        map = DeviceProfiles.builtIn("pm500").modbus();
        KnownRegisters known = KnownRegisters.of(map);
        expected = known.expected();
        List<Register> registers = known.registers();
        peer = new PyModbusPeer(registers, List.of(
                Server.normal("values"),
                new Server("values-low", "normal", 1, 0, List.of(), "LOW_FIRST"),
                new Server("holes", "normal", 1, 0, KnownRegisters.ranges(map, "settings"), "HIGH_FIRST"),
                new Server("late", "late", 1, 3 * TIMEOUT_MILLIS, List.of(), "HIGH_FIRST"),
                Server.normal("silent"),
                Server.of("wrong-tid", "wrong-tid"),
                Server.of("close", "close-after-reply"),
                Server.of("never", "never-answer")));
    }

    @AfterAll
    static void stopPymodbus() throws Exception {
        peer.close();
    }

    @BeforeEach
    void captureLog() throws IOException {
        loop = new ModbusLoop("test-modbus-io");
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void stop() throws InterruptedException {
        logger.detachAppender(log);
        if (poller != null) {
            poller.close();
        }
        loop.close();
    }

    private MeterSettings meter(String server, int unitId, int retries, String wordOrder) {
        MeterSettings s = MeterSettings.of(new ConfigFixture("m-" + server, "127.0.0.1", peer.port(server), unitId,
                "pm500", new String[] { "info=0", "energy=1000", "settings=60000", "status=1000" }, TIMEOUT_MILLIS,
                retries, 3, 125, 0, wordOrder, true));
        poller = new MeterPoller(s, new DriverEvents(samples::add), Clock.systemUTC(), loop, new PollGrid());
        return s;
    }

    private Sample poll(MeterSettings s, String blockId) throws InterruptedException {
        return OnDemand.pollOnce(loop, poller, OnDemand.block(s, blockId), samples);
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /** The server's own counts arrive on its output a little after our socket calls return. */
    private static void settle() throws InterruptedException {
        Thread.sleep(300);
    }

    @ParameterizedTest
    @CsvSource({ "values, ''", "values-low, LOW_FIRST" })
    void everyBlockDecodesExactlyWhatPymodbusEncoded(String server, String wordOrder) throws Exception {
        MeterSettings s = meter(server, 1, 0, wordOrder);
        Map<String, Value> read = new LinkedHashMap<>();
        for (BlockPlan b : s.blocks()) {
            Sample sample = poll(s, b.blockId());
            assertThat(sample.status()).as(b.blockId() + ": " + sample.detail()).isEqualTo(AcquisitionStatus.OK);
            sample.points().forEach(p -> read.put(p.pointId(), p.value()));
        }
        assertThat(read).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(read.get("serial")).isEqualTo(Value.of(KnownRegisters.SERIAL));
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
    }

    @Test
    void aRefusedBlockCarriesItsExceptionCodeInSampleStatusAndOneLogLine() throws Exception {
        MeterSettings s = meter("holes", 1, 0, "");
        for (int i = 0; i < 3; i++) {
            assertThat(poll(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);
            Sample refused = poll(s, "settings");
            assertThat(refused.status()).isEqualTo(AcquisitionStatus.DEVICE_ERROR);
            assertThat(refused.detail()).startsWith("Modbus exception 2 (Illegal Data Address): the meter has no such"
                    + " register; check the profile's map");
        }
        assertThat(poller.status().state()).as("the meter answers").isEqualTo(ConnectionState.CONNECTED);
        assertThat(poller.status().lastError()).startsWith("DEVICE_ERROR: Modbus exception 2");
        assertThat(warnings()).singleElement().asString().isEqualTo("pm500.driver.modbus meter m-holes: block"
                + " settings fails: DEVICE_ERROR: Modbus exception 2 (Illegal Data Address): the meter has no such"
                + " register; check the profile's map against this meter's model and firmware");
        assertThat(log.list).as("no line per poll").hasSize(2); // "polling" once, the warning once
    }

    @ParameterizedTest(name = "{0} unit {1}, retries={2}")
    @CsvSource({ "late, 1, 0, TIMEOUT", "late, 1, 2, TIMEOUT", "silent, 7, 0, TIMEOUT", "silent, 7, 1, TIMEOUT",
            "never, 1, 0, TIMEOUT", "never, 1, 2, TIMEOUT", "wrong-tid, 1, 0, PROTOCOL_ERROR",
            "wrong-tid, 1, 2, PROTOCOL_ERROR" })
    void onePollCostsAtMostRetriesPlusOneRequestsAndTimeouts(String server, int unitId, int retries,
            AcquisitionStatus status) throws Exception {
        MeterSettings s = meter(server, unitId, retries, "");
        int connections = peer.connections(server);
        int requests = peer.requests(server);
        long t0 = System.nanoTime();
        Sample sample = poll(s, "energy");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        settle();
        assertThat(sample.status()).as(sample.detail()).isEqualTo(status);
        // a reply that is not the answer is no timeout: retrying it would only repeat the confusion
        int tries = status == AcquisitionStatus.TIMEOUT ? retries + 1 : 1;
        assertThat(peer.requests(server) - requests).as("requests on the wire").isEqualTo(tries);
        assertThat(peer.connections(server) - connections).as("each try on a fresh connection").isEqualTo(tries);
        assertThat(millis).as("(retries + 1) x timeout plus connect time")
                .isLessThan((long) tries * TIMEOUT_MILLIS + 400);
        if (status == AcquisitionStatus.PROTOCOL_ERROR) {
            assertThat(sample.detail()).contains("transaction id did not match");
        }
    }

    @Test
    void aDeviceThatClosesAfterEveryReplyIsReadEveryPollAndItsReconnectsAreCountedAndReported() throws Exception {
        MeterSettings s = meter("close", 1, 0, "");
        int connections = peer.connections("close");
        int requests = peer.requests("close");
        List<AcquisitionStatus> statuses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            statuses.add(poll(s, "status").status());
            Thread.sleep(50); // let the server's close arrive, as between real polls
        }
        settle();
        assertThat(statuses).containsOnly(AcquisitionStatus.OK);
        assertThat(peer.requests("close") - requests).as("one request per poll: none lost to the closed socket")
                .isEqualTo(8);
        assertThat(peer.connections("close") - connections).isEqualTo(8);
        assertThat(poller.status().reconnects()).isEqualTo(7);
        assertThat(warnings()).singleElement().asString()
                .startsWith("pm500.driver.modbus meter m-close: reconnects more than 5 times a minute");
    }

    @Test
    void theServerSawEveryRequestOfAPollOfEveryBlockOnce() throws Exception {
        MeterSettings s = meter("values", 1, 0, "");
        int requests = peer.requests("values");
        for (BlockPlan b : s.blocks()) {
            poll(s, b.blockId());
        }
        settle();
        int planned = s.blocks().stream().mapToInt(b -> b.requests().size()).sum();
        assertThat(planned).as("the PM500 map's gaps split blocks into several requests").isGreaterThan(4);
        assertThat(peer.requests("values") - requests).isEqualTo(planned);
    }
}
