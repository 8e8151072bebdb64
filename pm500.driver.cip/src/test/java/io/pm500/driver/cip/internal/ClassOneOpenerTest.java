package io.pm500.driver.cip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.api.status.ConnectionState;
import io.pm500.testkit.Await;
import io.pm500.testkit.pipeline.DriverEvents;
import io.pm500.testkit.process.OpenerProcess;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Class 1 against an EtherNet/IP adapter we did not write (OpENer): input-only 151/152/100 and listen-only
 * 151/153/100 at RPI 100 ms. OpENer holds UDP 2222 on this host, so the gateway receives on a port of its own, which
 * its Forward_Opens name in a T->O Sockaddr Info item. One OpENer for the class (its ports are fixed).
 */
@Tag("slow")
class ClassOneOpenerTest {
    private static final int RPI = 100;
    private static OpenerProcess opener;
    private static CipThreads threads;
    private static IoPort port;
    private static Path profile;
    private final List<CipPoller> pollers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        opener = OpenerProcess.start();
        threads = new CipThreads();
        port = new IoPort("127.0.0.1", 0);
        profile = OpenerProcess.profile();
    }

    @AfterAll
    static void stop() throws Exception {
        port.close();
        threads.stop();
        opener.close();
    }

    @AfterEach
    void closePollers() {
        pollers.forEach(CipPoller::close);
    }

    /** A Class 1 meter, started on its schedule; its samples go to {@code samples}. */
    private CipPoller meter(String id, String messaging, int originatorSerial, List<Sample> samples) {
        CipSettings s = CipSettings.of(new CipConfigFixture(id, "127.0.0.1", OpenerProcess.PORT, profile.toString(),
                new String[] { "assembly.100=" + RPI }, messaging, 1000, 2, "error", true));
        CipPoller poller = new CipPoller(s, new DriverEvents(samples::add), threads,
                new Originator(Originator.DEFAULT_VENDOR_ID, originatorSerial), port, Clock.systemUTC());
        pollers.add(poller);
        poller.start(threads.poll(), s.blocks());
        return poller;
    }

    private static Value first(Sample s) {
        return s.points().stream().filter(p -> p.pointId().equals("opener.real.1")).map(PointValue::value)
                .findFirst().orElseThrow();
    }

    private static List<Sample> of(List<Sample> samples, AcquisitionStatus status) {
        return samples.stream().filter(s -> s.blockId().equals("assembly.100") && s.status() == status).toList();
    }

    @Test
    void inputOnlyReceivesEveryPacketAndAWrittenValueWithinTwoRpis() throws Exception {
        OpenerProcess.write(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f);
        List<Sample> samples = new CopyOnWriteArrayList<>();
        CipPoller poller = meter("io-in", "io-input-only", 0x5EED, samples);
        Await.until("the first Class 1 sample", Duration.ofSeconds(10),
                () -> !of(samples, AcquisitionStatus.OK).isEmpty());
        assertThat(first(of(samples, AcquisitionStatus.OK).get(0))).isEqualTo(Value.of(1.0));

        long[] before = poller.ioCounts();
        Thread.sleep(10_000);
        long[] after = poller.ioCounts();
        long received = after[0] - before[0];
        System.out.printf("Class 1 input-only, RPI %d ms: %d datagrams in 10 s, %d dropped, %d missed%n", RPI,
                received, after[1] - before[1], after[2] - before[2]);
        assertThat(received).as("datagrams in 10 s at RPI %d ms", RPI).isGreaterThanOrEqualTo(95);
        assertThat(after[2] - before[2]).as("sequence gaps").isLessThanOrEqualTo(5);
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);

        for (float v : new float[] { 42.5f, -7.25f, 1000.125f }) {
            int seen = samples.size();
            OpenerProcess.write(v, 2f, 3f, 4f, 5f, 6f, 7f, 8f);
            long written = System.nanoTime();
            Await.until("the written value", Duration.ofSeconds(5), () -> samples.subList(seen, samples.size())
                    .stream().anyMatch(s -> s.status().isOk() && first(s).equals(Value.of((double) v))));
            long millis = (System.nanoTime() - written) / 1_000_000;
            System.out.printf("Class 1: value written over explicit messaging arrived after %d ms%n", millis);
            assertThat(millis).as("within 2 RPIs").isLessThanOrEqualTo(2L * RPI);
        }
        assertThat(of(samples, AcquisitionStatus.OK)).as("unchanged data is handed on about once a second")
                .hasSizeLessThan(40);
    }

    @Test
    void listenOnlyIsRefusedAloneAndReadsBesideAnInputOnlyConnectionOfAnotherOriginator() throws Exception {
        List<Sample> listening = new CopyOnWriteArrayList<>();
        CipPoller listener = meter("io-listen", "io-listen-only", 0x1111, listening);
        Await.until("the listen-only refusal", Duration.ofSeconds(10),
                () -> !of(listening, AcquisitionStatus.CONNECTION_LOST).isEmpty());
        Sample refused = of(listening, AcquisitionStatus.CONNECTION_LOST).get(0);
        assertThat(refused.detail()).contains("0x0119", "no connection owns the assembly");
        assertThat(listener.status().state()).isNotEqualTo(ConnectionState.CONNECTED);

        List<Sample> owning = new CopyOnWriteArrayList<>();
        meter("io-owner", "io-input-only", 0x2222, owning);
        Await.until("the input-only owner's data", Duration.ofSeconds(10),
                () -> !of(owning, AcquisitionStatus.OK).isEmpty());
        Await.until("the listen-only connection's data after its backoff", Duration.ofSeconds(30),
                () -> !of(listening, AcquisitionStatus.OK).isEmpty());
        assertThat(listener.status().state()).isEqualTo(ConnectionState.CONNECTED);
        long got = listener.ioCounts()[0];
        Thread.sleep(2000);
        assertThat(listener.ioCounts()[0] - got).as("datagrams in 2 s").isGreaterThanOrEqualTo(18);
    }

    @Test
    void killedAdapterIsLostWithinTheWatchdogAndReadAgainAfterItsRestart() throws Exception {
        List<Sample> samples = new CopyOnWriteArrayList<>();
        CipPoller poller = meter("io-kill", "io-input-only", 0x3333, samples);
        Await.until("Class 1 data", Duration.ofSeconds(10), () -> !of(samples, AcquisitionStatus.OK).isEmpty());
        opener.kill();
        long killed = System.nanoTime();
        Await.until("LOST", Duration.ofSeconds(5), () -> poller.status().state() == ConnectionState.LOST);
        long millis = (System.nanoTime() - killed) / 1_000_000;
        System.out.printf("Class 1: LOST %d ms after the adapter was killed (RPI %d ms x 4)%n", millis, RPI);
        assertThat(millis).as("RPI x multiplier and a poll").isLessThanOrEqualTo(4L * RPI + 2L * RPI);
        opener.run();
        int seen = samples.size();
        Await.until("data again", Duration.ofSeconds(60), () -> samples.subList(seen, samples.size()).stream()
                .anyMatch(s -> s.blockId().equals("assembly.100") && s.status().isOk()));
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
    }

    @Test
    void theIdleSessionIsKeptWithinTheAdaptersInactivityTimeout() throws Exception {
        // Class 1 data does not use the TCP session: an adapter closes a session idle for its encapsulation
        // inactivity timeout (120 s by default; 3 s here), which used to drop and reopen every connection
        OpenerProcess.inactivityTimeout(3);
        try {
            List<Sample> samples = new CopyOnWriteArrayList<>();
            CipPoller poller = meter("io-keep", "io-input-only", 0x6666, samples);
            Await.until("Class 1 data", Duration.ofSeconds(10), () -> !of(samples, AcquisitionStatus.OK).isEmpty());
            long[] before = poller.ioCounts();
            Thread.sleep(8000);
            assertThat(poller.status().reconnects()).as("sessions reopened").isZero();
            assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
            assertThat(poller.ioCounts()[0] - before[0]).as("datagrams in 8 s").isGreaterThanOrEqualTo(76);
        } finally {
            OpenerProcess.inactivityTimeout(120);
        }
    }
}
