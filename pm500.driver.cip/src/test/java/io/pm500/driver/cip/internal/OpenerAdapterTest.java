package io.pm500.driver.cip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.api.status.ConnectionState;
import io.pm500.testkit.pipeline.DriverEvents;
import io.pm500.testkit.process.OpenerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The driver against an EtherNet/IP adapter we did not write (OpENer, from the project's shared peers): exact
 * values written with a Set_Attribute_Single of our own, in both messaging modes; a block that is not an assembly;
 * a poll interval longer than the connection timeout the library used to ask for; the adapter killed and
 * restarted; a profile whose identity does not match. One OpENer for the class (its port is fixed).
 */
@Tag("slow")
class OpenerAdapterTest {
    private static final float[] VALUES = { 230.25f, 231.5f, -229.75f, 12.125f, 0.0f, 1.0e-3f, 49.98f, 0.875f };
    private static OpenerProcess opener;
    private static CipThreads threads;
    private static Path profile;

    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private CipPoller poller;

    @BeforeAll
    static void start() throws Exception {
        opener = OpenerProcess.start();
        OpenerProcess.write(VALUES);
        threads = new CipThreads();
        profile = OpenerProcess.profile();
    }

    @AfterAll
    static void stop() throws Exception {
        threads.stop();
        opener.close();
    }

    @AfterEach
    void closePoller() {
        if (poller != null) {
            poller.close();
        }
    }

    private CipSettings meter(String messaging, String profileFile, String identityCheck, String... intervals) {
        CipSettings s = CipSettings.of(new CipConfigFixture("opener-" + messaging, "127.0.0.1", OpenerProcess.PORT,
                profileFile, intervals, messaging, 1000, 2, identityCheck, true));
        poller = new CipPoller(s, new DriverEvents(samples::add), threads,
                new Originator(Originator.DEFAULT_VENDOR_ID, 0x5EED), new IoPort("127.0.0.1", 0),
                Clock.systemUTC());
        return s;
    }

    private Sample poll(CipSettings s, String blockId) {
        return Polls.poll(poller, s, samples, blockId);
    }

    private static Map<String, Value> values(Sample s) {
        return s.points().stream().collect(Collectors.toMap(PointValue::pointId, PointValue::value));
    }

    private static void assertExact(Sample s) {
        assertThat(s.status()).as(s.detail()).isEqualTo(AcquisitionStatus.OK);
        Map<String, Value> v = values(s);
        for (int i = 0; i < VALUES.length; i++) {
            assertThat(v.get("opener.real." + (i + 1))).isEqualTo(Value.of((double) VALUES[i]));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "connected", "unconnected" })
    void readsExactlyWhatWasWrittenAndABlockThatIsNotAnAssembly(String messaging) {
        CipSettings s = meter(messaging, profile.toString(), "error", "assembly.100=1000", "identity.vendor=0");
        assertExact(poll(s, "assembly.100"));
        Sample vendor = poll(s, "identity.vendor");
        assertThat(vendor.status()).as(vendor.detail()).isEqualTo(AcquisitionStatus.OK);
        assertThat(values(vendor)).containsEntry("opener.vendor", Value.of(1L));
        assertThat(samples).anySatisfy(x -> assertThat(x.blockId()).isEqualTo(CipPoller.IDENTITY_BLOCK));
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
    }

    @Test
    void aPollIntervalLongerThanTheOldConnectionTimeoutStillReadsEveryPollOnOneConnection() throws Exception {
        // the library used to ask for RPI 2 s x 8: OpENer closed the connection 16 s after the last request
        CipSettings s = meter("connected", profile.toString(), "error", "assembly.100=17000");
        assertExact(poll(s, "assembly.100"));
        Thread.sleep(17_000);
        assertExact(poll(s, "assembly.100"));
        assertThat(poller.status().reconnects()).as("the same session and connection").isZero();
        assertThat(poller.status().failures()).isZero();
    }

    @Test
    void killedAndRestartedTheAdapterIsLostThenReadAgainSoonAfterItReturns() throws Exception {
        CipSettings s = meter("connected", profile.toString(), "error", "assembly.100=200");
        assertExact(poll(s, "assembly.100"));
        opener.kill();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (poller.status().state() != ConnectionState.LOST && System.nanoTime() < deadline) {
            poll(s, "assembly.100");
            Thread.sleep(poller.reconnectDelay().toMillis() + 20); // each attempt after its backoff
        }
        assertThat(poller.status().state()).isEqualTo(ConnectionState.LOST);
        opener.run();
        long back = System.nanoTime();
        long backoff = poller.reconnectDelay().toMillis();
        Sample read;
        do {
            Thread.sleep(100);
            read = poll(s, "assembly.100");
        } while (read.status() != AcquisitionStatus.OK && System.nanoTime() - back < 60_000_000_000L);
        long millis = (System.nanoTime() - back) / 1_000_000;
        assertThat(read.status()).as(read.detail()).isEqualTo(AcquisitionStatus.OK);
        assertThat(millis).as("within 2 s of its return plus the backoff (%d ms)", backoff)
                .isLessThanOrEqualTo(2000 + backoff);
        OpenerProcess.write(VALUES); // a restarted OpENer starts with zeros
        assertExact(poll(s, "assembly.100"));
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
    }

    @ParameterizedTest
    @ValueSource(strings = { "error", "warn" })
    void aProfileWhoseIdentityDoesNotMatchRefusesOrWarns(String check) throws Exception {
        Path other = Files.createTempFile("opener-as-pm500", ".json");
        Files.writeString(other, Files.readString(profile).replace("\"deviceType\": 12", "\"deviceType\": 146"));
        CipSettings s = meter("unconnected", other.toString(), check, "assembly.100=1000");
        Sample sample = poll(s, "assembly.100");
        if (check.equals("error")) {
            assertThat(sample.status()).isEqualTo(AcquisitionStatus.DEVICE_ERROR);
            assertThat(sample.detail()).contains("vendor 1, device type 0xc ('OpENer PC')", "expects vendor 1,"
                    + " device type 0x92");
        } else {
            assertExact(sample);
        }
    }
}
