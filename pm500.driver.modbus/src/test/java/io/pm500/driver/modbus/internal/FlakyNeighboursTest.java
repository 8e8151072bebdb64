package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.ModbusSection;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.status.ConnectionState;
import io.pm500.profile.DeviceProfiles;
import io.pm500.testkit.pipeline.DriverEvents;
import io.pm500.testkit.process.PyModbusPeer.Register;
import io.pm500.testkit.process.PyModbusPeer.Server;
import io.pm500.testkit.process.PyModbusPeer;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A slow or dead meter may only ever delay itself: healthy meters beside hostile ones (late replies, a silent unit
 * id, wrong transaction ids, a connection closed after every reply, a server that never answers, a refused port),
 * all served by pymodbus, through the driver's real components and threads, for 60 s. Every healthy meter's every
 * block arrives on schedule (within one interval of it), always GOOD — so the pipeline, which stamps a block STALE
 * only after {@code staleFactor} (at least 2) missed intervals, has nothing to stamp.
 */
@Tag("slow")
class FlakyNeighboursTest {
    private static final int SECONDS = 60;
    /** Larger runs for the figures in docs/drivers.md: {@code -Dpm500.flaky.healthy=50 -Dpm500.flaky.hostile=25}. */
    private static final int HEALTHY = Integer.getInteger("pm500.flaky.healthy", 12);
    private static final int OF_EACH_HOSTILE = Integer.getInteger("pm500.flaky.hostile", 4);
    private static final long INTERVAL_MILLIS = 1000;
    private static final long TIMEOUT_MILLIS = 1000;

    /** One sample as it arrived. */
    record Arrival(long nanos, Sample sample) {
    }

    @Test
    void hostileMetersNeverCostAHealthyMeterAPoll() throws Exception {
        ModbusSection map = DeviceProfiles.builtIn("pm500").modbus();
        List<Register> registers = new ArrayList<>();
        map.blocks().stream().filter(b -> !b.id().equals("info")).forEach(b -> b.fields().forEach(f -> registers.add(
                new Register(b.functionCode(), map.wireAddress(f.address()), f.type().name(),
                        f.type().name().equals("REAL") ? "1.5" : "42", null))));
        List<String> hostile = List.of("late", "silent", "wrong-tid", "close", "never");
        // nothing waits on a meter: a healthy meter's first sample comes within its jittered first interval
        long firstLimitNanos = 2 * INTERVAL_MILLIS * 1_000_000;
        try (PyModbusPeer peer = new PyModbusPeer(registers, List.of(Server.normal("good"),
                new Server("late", "late", 1, 1500, List.of(), "HIGH_FIRST"), Server.normal("silent"),
                Server.of("wrong-tid", "wrong-tid"), Server.of("close", "close-after-reply"),
                Server.of("never", "never-answer")));
                ServerSocket closed = new ServerSocket(0)) {
            int refused = closed.getLocalPort();
            closed.close(); // nothing listens there now: connections are refused

            Map<String, List<Arrival>> arrivals = new ConcurrentHashMap<>();
            PollScheduler scheduler = new PollScheduler(ThreadsFixture.DEFAULTS.properties());
            ModbusMeterComponent meters = new ModbusMeterComponent(new DriverEvents(s -> arrivals.computeIfAbsent(
                    s.meterId() + "/" + s.blockId(), k -> new CopyOnWriteArrayList<>())
                    .add(new Arrival(System.nanoTime(), s))), scheduler);
            long start = System.nanoTime();
            try {
                for (int i = 0; i < HEALTHY; i++) {
                    configure(meters, "good-" + i, peer.port("good"), 1);
                }
                for (int i = 0; i < OF_EACH_HOSTILE; i++) {
                    for (String kind : hostile) {
                        configure(meters, kind + "-" + i, peer.port(kind), kind.equals("silent") ? 7 : 1);
                    }
                    configure(meters, "refused-" + i, refused, 1);
                }
                Thread.sleep(SECONDS * 1000L);
            } finally {
                meters.stop();
                scheduler.stop();
            }
            long end = System.nanoTime();

            long worstGap = 0;
            long worstFirst = 0;
            for (int i = 0; i < HEALTHY; i++) {
                for (String block : List.of("energy", "status")) {
                    List<Arrival> got = arrivals.getOrDefault("good-" + i + "/" + block, List.of());
                    String what = "good-" + i + " " + block;
                    assertThat(got).as(what + " samples").allSatisfy(a -> assertThat(a.sample().status())
                            .as(a.sample().detail()).isEqualTo(AcquisitionStatus.OK));
                    assertThat(got.size()).as(what + ": one sample an interval")
                            .isGreaterThanOrEqualTo((int) (SECONDS - firstLimitNanos / 1_000_000_000));
                    List<Long> times = new ArrayList<>(got.stream().map(Arrival::nanos).toList());
                    times.add(end);
                    worstFirst = Math.max(worstFirst, times.get(0) - start);
                    assertThat(times.get(0) - start).as(what + " first sample").isLessThan(firstLimitNanos);
                    for (int k = 1; k < times.size(); k++) {
                        long gap = times.get(k) - times.get(k - 1);
                        worstGap = Math.max(worstGap, gap);
                        assertThat(gap).as(what + " gap before sample " + k + " (schedule +- one interval)")
                                .isLessThanOrEqualTo(2 * INTERVAL_MILLIS * 1_000_000);
                    }
                }
            }
            for (String kind : List.of("late", "silent", "never", "refused")) {
                for (int i = 0; i < OF_EACH_HOSTILE; i++) {
                    List<Arrival> got = arrivals.getOrDefault(kind + "-" + i + "/energy", List.of());
                    assertThat(got).as(kind + "-" + i).isNotEmpty().allSatisfy(a -> assertThat(a.sample().status())
                            .isIn(AcquisitionStatus.TIMEOUT, AcquisitionStatus.CONNECTION_LOST));
                }
            }
            for (int i = 0; i < OF_EACH_HOSTILE; i++) {
                List<Arrival> got = arrivals.getOrDefault("close-" + i + "/energy", List.of());
                assertThat(got.stream().filter(a -> a.sample().status() == AcquisitionStatus.OK).count())
                        .as("a device that closes after each reply is still read every poll")
                        .isGreaterThanOrEqualTo(SECONDS - firstLimitNanos / 1_000_000_000);
            }
            System.out.printf("%d healthy beside %d hostile meters, %d s: worst gap between a healthy block's"
                    + " samples %d ms (interval %d ms), latest first sample %d ms after start%n", HEALTHY,
                    OF_EACH_HOSTILE * (hostile.size() + 1), SECONDS, worstGap / 1_000_000, INTERVAL_MILLIS,
                    worstFirst / 1_000_000);
        }
    }

    private static void configure(ModbusMeterComponent meters, String id, int port, int unitId) {
        ConfigFixture config = new ConfigFixture(id, "127.0.0.1", port, unitId, "pm500",
                new String[] { "energy=" + INTERVAL_MILLIS, "status=" + INTERVAL_MILLIS }, (int) TIMEOUT_MILLIS, 0, 3,
                125, 0, "", true);
        meters.updated(ModbusMeterComponent.PID + "~" + id, new Hashtable<>(config.properties()));
        assertThat(meters.meters()).filteredOn(m -> m.meterId().equals(id)).singleElement()
                .satisfies(m -> assertThat(m.state()).isEqualTo(ConnectionState.CONNECTING));
    }
}
