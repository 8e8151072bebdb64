package io.pm500.driver.cip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.status.ConnectionState;
import io.pm500.profile.DeviceProfiles;
import io.pm500.simulator.Simulator;
import io.pm500.testkit.Await;
import io.pm500.testkit.pipeline.DriverEvents;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Class 1 against the simulator (the built-in PM500 profile's assumed connection points): 200 meters producing at
 * 100 ms into one gateway port, and listen-only's dependence on a producing connection, as a device behaves.
 */
@Tag("slow")
class ClassOneSimulatorTest {
    private DeviceProfile pm500;
    private final List<CipPoller> pollers = new ArrayList<>();
    private CipThreads threads;
    private IoPort port;
    private Simulator simulator;

    @BeforeEach
    void start() throws Exception {
        pm500 = DeviceProfiles.builtIn(DeviceProfiles.PM500);
        threads = new CipThreads();
        port = new IoPort("127.0.0.1", 0);
    }

    @AfterEach
    void stop() throws Exception {
        pollers.forEach(CipPoller::close);
        port.close();
        threads.stop();
        simulator.close();
    }

    private CipPoller meter(int index, String messaging, int originatorSerial, DriverEvents events) {
        return meter(index, messaging, originatorSerial, events, false);
    }

    private CipPoller meter(int index, String messaging, int originatorSerial, DriverEvents events,
            boolean multicast) {
        CipConfigFixture config = CipConfigFixture.meter("m" + index, simulator.enipPort(index), messaging,
                "assembly.100=0", "assembly.102=100");
        CipSettings s = CipSettings.of(multicast ? config.multicast() : config);
        CipPoller poller = new CipPoller(s, events, threads, new Originator(Originator.DEFAULT_VENDOR_ID,
                originatorSerial), port, Clock.systemUTC());
        pollers.add(poller);
        poller.start(threads.poll(), s.blocks());
        return poller;
    }

    @Test
    void twoHundredMetersAtOneHundredMillisecondsLoseNoDatagram() throws Exception {
        int meters = 200;
        simulator = new Simulator(pm500, meters, "127.0.0.1", 0, 11, System::currentTimeMillis);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        DriverEvents events = new DriverEvents(s -> (s.status().isOk() ? ok : failed).incrementAndGet());
        for (int m = 0; m < meters; m++) {
            meter(m, "io-input-only", 0x5EED, events);
        }
        Await.until("every meter receiving", Duration.ofSeconds(30), () -> pollers.stream()
                .allMatch(p -> p.status().state() == ConnectionState.CONNECTED && p.ioCounts()[0] > 5));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] before = total();
        long cpu0 = gatewayCpu(mx);
        long failed0 = failed.get();
        long ok0 = ok.get();
        Thread.sleep(5000);
        long cpu = gatewayCpu(mx) - cpu0;
        long[] after = total();
        long received = after[0] - before[0];
        System.out.printf("Class 1, %d meters at RPI 100 ms, 5 s: %d datagrams (%.0f/s), %d dropped, %d missed,"
                + " %d samples; gateway threads' CPU %.2f s = %.1f %% of one core, %.1f us per datagram%n", meters,
                received, received / 5.0, after[1] - before[1], after[2] - before[2], ok.get() - ok0, cpu / 1e9,
                100.0 * cpu / 5e9, cpu / 1e3 / received);
        assertThat(received).as("datagrams in 5 s").isGreaterThanOrEqualTo(meters * 50L * 95 / 100);
        assertThat(after[2] - before[2]).as("sequence gaps").isZero();
        assertThat(failed.get() - failed0).as("failed samples").isZero();
        assertThat(ok.get() - ok0).as("samples: changed data at once, unchanged once a second")
                .isGreaterThanOrEqualTo(meters * 4L);
        pollers.forEach(CipPoller::close);
        Await.until("every Class 1 connection closed at the meters (Forward_Close)", Duration.ofSeconds(5),
                () -> java.util.stream.IntStream.range(0, meters).allMatch(m -> simulator.classOneConnections(m) == 0));
    }

    private long[] total() {
        long[] sum = new long[3];
        for (CipPoller p : pollers) {
            long[] n = p.ioCounts();
            for (int i = 0; i < 3; i++) {
                sum[i] += n[i];
            }
        }
        return sum;
    }

    /** CPU of the driver's threads (receiving, heartbeats, meters' queues), not the simulator's in this JVM. */
    private static long gatewayCpu(ThreadMXBean mx) {
        long sum = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("pm500-cip-")) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    @Test
    void listenOnlyNeedsAProducingConnectionAndEndsWithIt() throws Exception {
        simulator = new Simulator(pm500, 1, "127.0.0.1", 0, 11, System::currentTimeMillis);
        List<Sample> listening = new CopyOnWriteArrayList<>();
        CipPoller listener = meter(0, "io-listen-only", 0x1111, new DriverEvents(listening::add));
        Await.until("the refusal", Duration.ofSeconds(10), () -> listening.stream()
                .anyMatch(s -> s.status() == AcquisitionStatus.CONNECTION_LOST && s.detail().contains("0x0119")));

        List<Sample> owning = new CopyOnWriteArrayList<>();
        CipPoller owner = meter(0, "io-input-only", 0x2222, new DriverEvents(owning::add));
        Await.until("listen-only data beside the input-only connection", Duration.ofSeconds(30),
                () -> listener.status().state() == ConnectionState.CONNECTED && listener.ioCounts()[0] > 5);

        endsWithItsOwner(owner, listener, listening);
    }

    @Test
    void aMulticastProductionIsSharedByAnInputOnlyAndAListenOnlyConnection() throws Exception {
        simulator = new Simulator(pm500, 1, "127.0.0.1", 0, 11, System::currentTimeMillis);
        List<Sample> owning = new CopyOnWriteArrayList<>();
        List<Sample> listening = new CopyOnWriteArrayList<>();
        CipPoller owner = meter(0, "io-input-only", 0x2222, new DriverEvents(owning::add), true);
        Await.until("the owner's multicast data", Duration.ofSeconds(10),
                () -> owner.status().state() == ConnectionState.CONNECTED && owner.ioCounts()[0] > 5);
        CipPoller listener = meter(0, "io-listen-only", 0x1111, new DriverEvents(listening::add), true);
        Await.until("the listener's data", Duration.ofSeconds(10),
                () -> listener.status().state() == ConnectionState.CONNECTED && listener.ioCounts()[0] > 5);
        assertThat(simulator.classOneConnections(0)).as("two connections, one production").isEqualTo(2);
        long[] o = owner.ioCounts();
        long[] l = listener.ioCounts();
        Thread.sleep(2000);
        long ownerGot = owner.ioCounts()[0] - o[0];
        long listenerGot = listener.ioCounts()[0] - l[0];
        assertThat(ownerGot).as("datagrams in 2 s at 100 ms").isBetween(18L, 22L);
        assertThat(listenerGot).as("the same datagrams").isBetween(ownerGot - 1, ownerGot + 1);
        assertThat(owner.ioCounts()[2] + listener.ioCounts()[2]).as("sequence gaps").isZero();

        endsWithItsOwner(owner, listener, listening);
    }

    /** The meter closes a listen-only connection with the last connection producing its assembly: LOST, saying so. */
    private static void endsWithItsOwner(CipPoller owner, CipPoller listener, List<Sample> listening)
            throws Exception {
        owner.close();
        int seen = listening.size();
        Await.until("listen-only lost with its owner", Duration.ofSeconds(5),
                () -> listener.status().state() == ConnectionState.LOST);
        assertThat(listening.subList(seen, listening.size())).anySatisfy(x -> assertThat(x.detail())
                .contains("the connection that owns the assembly has gone"));
    }

    /** A model with an assembly of 600 bytes: over Forward_Open's 511, so the connection needs a Large_Forward_Open. */
    @Test
    void anAssemblyOverFiveHundredElevenBytesIsOpenedWithALargeForwardOpen(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode profile;
        try (InputStream in = DeviceProfiles.class.getResourceAsStream("pm500.json")) {
            profile = (ObjectNode) json.readTree(in);
        }
        ArrayNode fields = json.createArrayNode();
        for (int i = 1; i <= 150; i++) {
            ((ObjectNode) profile.get("points")).putObject("big." + i).put("kind", "SETTING");
            fields.addObject().put("point", "big." + i).put("type", "REAL");
        }
        ((ArrayNode) profile.at("/cip/blocks")).addObject().put("id", "assembly.120").put("classId", 4)
                .put("instance", 120).put("attribute", 3).put("size", 600).set("fields", fields);
        Path file = Files.writeString(dir.resolve("large.json"), json.writeValueAsString(profile));
        simulator = new Simulator(DeviceProfiles.load(file), 1, "127.0.0.1", 0, 11, System::currentTimeMillis);
        List<Sample> samples = new CopyOnWriteArrayList<>();
        CipSettings s = CipSettings.of(new CipConfigFixture("large", "127.0.0.1", simulator.enipPort(0),
                file.toString(), new String[] { "assembly.120=100" }, "io-input-only", 1000, 2, "error", true));
        CipPoller poller = new CipPoller(s, new DriverEvents(samples::add), threads,
                new Originator(Originator.DEFAULT_VENDOR_ID, 0x7777), port, Clock.systemUTC());
        pollers.add(poller);
        poller.start(threads.poll(), s.blocks());
        Await.until("600-byte Class 1 data", Duration.ofSeconds(10), () -> samples.stream()
                .anyMatch(x -> x.blockId().equals("assembly.120") && x.status().isOk() && x.points().size() == 150));
        long got = poller.ioCounts()[0];
        Thread.sleep(1000);
        assertThat(poller.ioCounts()[0] - got).as("datagrams in 1 s at 100 ms").isBetween(8L, 12L);
        assertThat(poller.ioCounts()[2]).as("sequence gaps").isZero();
    }
}
