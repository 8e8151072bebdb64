package io.pm500.driver.cip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.profile.DeviceProfiles;
import io.pm500.simulator.CipConnection;
import io.pm500.simulator.Simulator;
import io.pm500.testkit.pipeline.DriverEvents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What a session goes through on the wire, against the simulator: a device that hangs up in the middle of a request
 * (one TCP connection at most, counted in {@code /proc/net/tcp}), malformed replies and closed connections (one
 * line with the meter id, no library stack trace), the originator ids and connection timing a meter sees, and the
 * identity block's interval.
 */
@Tag("slow")
class SessionFaultsTest {
    private static CipThreads threads;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private Simulator simulator;
    private CipPoller poller;

    @BeforeAll
    static void threads() {
        threads = new CipThreads();
    }

    @AfterAll
    static void stopThreads() throws InterruptedException {
        threads.stop();
    }

    @BeforeEach
    void start() throws Exception {
        simulator = new Simulator(DeviceProfiles.builtIn("pm500"), 1, "127.0.0.1", 0, 3, System::nanoTime);
        log.start();
        root.addAppender(log);
    }

    @AfterEach
    void stop() {
        root.detachAppender(log);
        if (poller != null) {
            poller.close();
        }
        simulator.close();
    }

    private CipSettings meter(String messaging, String... intervals) {
        CipSettings s = CipSettings.of(CipConfigFixture.meter("m-" + messaging, simulator.enipPort(0), messaging,
                intervals));
        poller = new CipPoller(s, new DriverEvents(samples::add), threads, new Originator(0xFF50, 0x5EED),
                new IoPort("127.0.0.1", 0), Clock.systemUTC());
        return s;
    }

    private Sample poll(CipSettings s, String blockId) {
        return Polls.poll(poller, s, samples, blockId);
    }

    private void awaitReconnectWindow() throws InterruptedException {
        Thread.sleep(poller.reconnectDelay().toMillis() + 20);
    }

    /** Established TCP connections to the meter's port, from /proc/net/tcp and tcp6 (client side). */
    private int established() throws IOException {
        String port = String.format(Locale.ROOT, ":%04X ", simulator.enipPort(0));
        int n = 0;
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(file))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[3].equals("01") && (f[2] + " ").contains(port)) {
                    n++;
                }
            }
        }
        return n;
    }

    private int awaitEstablished(int atMost) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int n;
        while ((n = established()) > atMost && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return n;
    }

    @Test
    void aDeviceThatHangsUpMidRequestNeverLeavesMoreThanOneConnection() throws Exception {
        CipSettings s = meter("connected", "assembly.101=1000");
        assertThat(poll(s, "assembly.101").status()).isEqualTo(AcquisitionStatus.OK);
        assertThat(established()).isEqualTo(1);
        simulator.meters().get(0).faults().hangUpOnRead(true);
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            Sample failed = poll(s, "assembly.101");
            assertThat(failed.status()).as(failed.detail()).isEqualTo(AcquisitionStatus.CONNECTION_LOST);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("known at once, not at the timeout").isLessThan(400);
            assertThat(awaitEstablished(1)).as("connections after hang-up %d", i).isLessThanOrEqualTo(1);
            awaitReconnectWindow();
        }
        assertThat(samples).filteredOn(x -> x.status() == AcquisitionStatus.CONNECTION_LOST)
                .anySatisfy(x -> assertThat(x.detail()).isEqualTo("the device closed the connection"));
        simulator.meters().get(0).faults().clear();
        awaitReconnectWindow();
        assertThat(poll(s, "assembly.101").status()).isEqualTo(AcquisitionStatus.OK);
        assertThat(awaitEstablished(1)).isEqualTo(1);
        assertThat(simulator.cipConnections(0)).as("one CIP connection in the meter's table").hasSize(1);
        poller.close();
        assertThat(awaitEstablished(0)).as("none after the close").isZero();
        assertThat(simulator.cipConnections(0)).as("Forward_Close on the way out").isEmpty();
    }

    @Test
    void malformedRepliesAndClosedConnectionsAreOneLineWithTheMeterIdAndNoLibraryStackTrace() throws Exception {
        CipSettings s = meter("connected", "assembly.101=1000");
        assertThat(poll(s, "assembly.101").status()).isEqualTo(AcquisitionStatus.OK);
        simulator.meters().get(0).faults().garbage(true);
        Sample garbled = poll(s, "assembly.101");
        assertThat(garbled.status()).as(garbled.detail()).isEqualTo(AcquisitionStatus.PROTOCOL_ERROR);
        assertThat(garbled.detail()).isEqualTo("malformed reply: RuntimeException: unrecognized command code: 0x8E");
        simulator.meters().get(0).faults().clear();
        awaitReconnectWindow();
        assertThat(poll(s, "assembly.101").status()).isEqualTo(AcquisitionStatus.OK);
        simulator.meters().get(0).faults().closeConnections();
        assertThat(awaitEstablished(0)).as("the simulator dropped the connection on its next sweep").isZero();
        Thread.sleep(100); // and the client's event loop has seen it go
        Sample closed = poll(s, "assembly.101");
        assertThat(closed.status()).as(closed.detail()).isEqualTo(AcquisitionStatus.OK); // replaced at once
        assertThat(poller.status().reconnects()).isEqualTo(2);

        List<ILoggingEvent> warnings = log.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .toList();
        assertThat(warnings).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "pm500.driver.cip meter m-connected: block assembly.101 fails: PROTOCOL_ERROR: malformed reply:"
                        + " RuntimeException: unrecognized command code: 0x8E");
        assertThat(warnings).as("none from Netty's pipeline, none with a stack trace")
                .allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
    }

    @Test
    void theMeterSeesTheGatewayAsOriginatorAndAConnectionTimedToItsPolling() throws Exception {
        CipSettings s = meter("connected", "assembly.101=1000", "assembly.107=5000");
        assertThat(poll(s, "assembly.101").status()).isEqualTo(AcquisitionStatus.OK);
        CipConnection c = simulator.cipConnections(0).get(0);
        assertThat(c.originatorVendorId()).isEqualTo(0xFF50);
        assertThat(c.originatorSerial()).isEqualTo(0x5EED);
        assertThat(c.rpiMicros()).as("the shortest poll interval").isEqualTo(1_000_000);
        assertThat(c.timeoutMillis()).as("at least 10 s and twice (interval + timeout)").isEqualTo(16_000);
    }

    @Test
    void theIdentityIsReportedAsReadOncePerSessionSoItIsNeverStaleByAbsence() {
        meter("unconnected", "assembly.101=1000");
        assertThat(poller.status().intervals()).containsEntry(CipPoller.IDENTITY_BLOCK, Duration.ZERO);
        assertThat(poller.status().blocks()).startsWith(CipPoller.IDENTITY_BLOCK);
    }

    @Test
    void theOriginatorSerialIsDrawnOnceAndKept(@TempDir Path dir) throws Exception {
        long first = Originator.kept(dir);
        assertThat(first).isBetween(1L, 0xFFFF_FFFFL);
        assertThat(Originator.kept(dir)).isEqualTo(first);
        assertThat(Files.readString(dir.resolve("originator-serial")).trim()).isEqualTo(Long.toString(first));
    }

    @Test
    void connectionTimingFollowsTheShortestIntervalAtAnyIntervalFromFiftyMillisecondsToAnHour() {
        for (long gap : new long[] { 50, 1000, 17_000, 60_000, 3_600_000 }) {
            ClassThree.Timing t = ClassThree.Timing.forGap(Duration.ofMillis(gap), 1000);
            assertThat(t.rpi()).isEqualTo(Duration.ofMillis(gap));
            assertThat(t.watchdog()).as("gap %d ms", gap)
                    .isGreaterThanOrEqualTo(Duration.ofMillis(Math.max(10_000, 2 * (gap + 1000))));
        }
    }
}
