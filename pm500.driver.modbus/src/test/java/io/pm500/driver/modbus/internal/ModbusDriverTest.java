package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.api.status.ConnectionState;
import io.pm500.driver.kit.PollGrid;
import io.pm500.driver.modbus.internal.MeterSettings.BlockPlan;
import io.pm500.profile.DeviceProfiles;
import io.pm500.simulator.Simulator;
import io.pm500.testkit.pipeline.DriverEvents;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The poller against the simulator on loopback: values, every fault mode, lost and back, a restarted meter. */
class ModbusDriverTest {
    private final AtomicLong clock = new AtomicLong(3_600_000_000_000L);
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final DriverEvents consumer = new DriverEvents(samples::add);
    private DeviceProfile profile;
    private Simulator simulator;
    private ModbusLoop loop;
    private MeterPoller poller;

    @BeforeEach
    void start() throws Exception {
        profile = DeviceProfiles.builtIn("pm500");
        simulator = new Simulator(profile, 1, "127.0.0.1", 0, 3, clock::get);
        loop = new ModbusLoop("test-modbus-io");
    }

    @AfterEach
    void stop() throws Exception {
        if (poller != null) {
            poller.close();
        }
        loop.close();
        simulator.close();
    }

    private MeterPoller poller(ConfigFixture config) {
        poller = new MeterPoller(MeterSettings.of(config), consumer, Clock.systemUTC(), loop, new PollGrid());
        return poller;
    }

    private Sample pollOnce(MeterSettings s, String block) throws InterruptedException {
        return OnDemand.pollOnce(loop, poller, OnDemand.block(s, block), samples);
    }

    private static Value v(Sample s, String id) {
        return s.points().stream().filter(p -> p.pointId().equals(id)).map(PointValue::value).findFirst().orElseThrow();
    }

    @Test
    void everyBlockDecodesToTheMetersValues() throws Exception {
        ConfigFixture config = ConfigFixture.meter("m0", simulator.modbusPort(0), "info=0", "energy=5000",
                "settings=60000", "status=1000");
        MeterSettings s = MeterSettings.of(config);
        poller(config);
        Map<String, Value> model = simulator.meters().get(0).values();
        for (BlockPlan b : s.blocks()) {
            Sample sample = pollOnce(s, b.blockId());
            assertThat(sample.status()).as(sample.detail()).isEqualTo(AcquisitionStatus.OK);
            for (PointValue p : sample.points()) {
                if (model.get(p.pointId()) instanceof Value.Real r) {
                    assertThat(p.value().asDouble()).as(p.pointId()).isCloseTo(r.value(),
                            org.assertj.core.data.Offset.offset(1e-3 * Math.max(1, Math.abs(r.value()))));
                } else {
                    assertThat(p.value()).as(p.pointId()).isEqualTo(model.get(p.pointId()));
                }
            }
        }
        Sample energy = samples.stream().filter(x -> x.blockId().equals("energy")).findFirst().orElseThrow();
        assertThat(v(energy, "energy.active.import.total")).isInstanceOf(Value.Int.class);
        assertThat(profile.points().get("energy.active.import.total").unit()).isEqualTo("Wh");
        Sample info = samples.stream().filter(x -> x.blockId().equals("info")).findFirst().orElseThrow();
        assertThat(((Value.Text) v(info, "serial")).value()).hasSize(13);
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
        assertThat(poller.status().polls()).isEqualTo(4);
        assertThat(poller.status().lastLatency()).isPositive();

        int before = samples.size();
        OnDemand.pollQuiet(loop, poller, OnDemand.block(s, "info"));
        assertThat(samples).as("info is read once per connection").hasSize(before);
    }

    @Test
    void faultModesBecomeTheirAcquisitionStatus() throws Exception {
        ConfigFixture config = ConfigFixture.meter("m0", simulator.modbusPort(0), "energy=1000");
        MeterSettings s = MeterSettings.of(config);
        poller(config);
        var faults = simulator.meters().get(0).faults();

        faults.modbusException(6);
        Sample busy = pollOnce(s, "energy");
        assertThat(busy.status()).isEqualTo(AcquisitionStatus.DEVICE_ERROR);
        assertThat(busy.detail()).startsWith("Modbus exception 6 (Slave Device Busy): the meter is busy");
        faults.clear();
        assertThat(pollOnce(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);

        faults.delay(java.time.Duration.ofMillis(100));
        Sample slow = pollOnce(s, "energy");
        assertThat(slow.status()).as("a delay within the timeout").isEqualTo(AcquisitionStatus.OK);
        assertThat(poller.status().lastLatency()).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(100));
        faults.delay(java.time.Duration.ofMillis(800));
        assertThat(pollOnce(s, "energy").status()).as("a delay past the 500 ms timeout")
                .isEqualTo(AcquisitionStatus.TIMEOUT);
        faults.clear();
        awaitReconnectWindow();
        assertThat(pollOnce(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);

        faults.closeConnections();
        Sample dropped = pollOnce(s, "energy");
        // a connection the meter closed is reopened at once and the request sent again, so the poll may still
        // succeed; if the close lands mid-transaction, it fails as CONNECTION_LOST. Either way the next poll reads.
        assertThat(dropped.status()).as(dropped.detail()).isIn(AcquisitionStatus.OK, AcquisitionStatus.CONNECTION_LOST);
        awaitReconnectWindow();
        assertThat(pollOnce(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);

        faults.noReply(true);
        Sample timeout = pollOnce(s, "energy");
        assertThat(timeout.status()).as(timeout.detail()).isEqualTo(AcquisitionStatus.TIMEOUT);
        faults.clear();

        faults.garbage(true);
        awaitReconnectWindow();
        Sample garbage = pollOnce(s, "energy");
        assertThat(garbage.status()).as(garbage.detail())
                .isIn(AcquisitionStatus.PROTOCOL_ERROR, AcquisitionStatus.CONNECTION_LOST, AcquisitionStatus.TIMEOUT);
        faults.clear();

        faults.truncate(true);
        awaitReconnectWindow();
        Sample truncated = pollOnce(s, "energy");
        assertThat(truncated.status()).as(truncated.detail()).isNotEqualTo(AcquisitionStatus.OK);
        faults.clear();

        awaitReconnectWindow();
        Sample back = pollOnce(s, "energy");
        assertThat(back.status()).as(back.detail()).isEqualTo(AcquisitionStatus.OK);
        assertThat(poller.status().consecutiveFailures()).isZero();
    }

    @Test
    void lostAfterNFailuresAndBackOnTheFirstGoodPoll() throws Exception {
        ConfigFixture config = ConfigFixture.meter("m0", simulator.modbusPort(0), "energy=1000").withLostAfter(2);
        MeterSettings s = MeterSettings.of(config);
        poller(config);
        assertThat(consumer.plans()).as("the meter is announced before its first poll").containsOnlyKeys(
                "m0@pm500.driver.modbus");
        assertThat(consumer.plans().get("m0@pm500.driver.modbus").blocks()).containsOnlyKeys("energy");
        simulator.meters().get(0).faults().modbusException(4);
        pollOnce(s, "energy");
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTING);
        pollOnce(s, "energy");
        assertThat(poller.status().state()).isEqualTo(ConnectionState.LOST);
        assertThat(consumer.state("m0", "pm500.driver.modbus")).as("the pipeline is told").isEqualTo(
                ConnectionState.LOST);
        assertThat(poller.status().lastError()).startsWith("DEVICE_ERROR: Modbus exception 4");
        simulator.meters().get(0).faults().clear();
        assertThat(pollOnce(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);
        assertThat(poller.status().state()).isEqualTo(ConnectionState.CONNECTED);
        assertThat(consumer.state("m0", "pm500.driver.modbus")).isEqualTo(ConnectionState.CONNECTED);
        poller.close();
        assertThat(consumer.withdrawn()).containsExactly("m0@pm500.driver.modbus");
        assertThat(consumer.plans()).isEmpty();
    }

    @Test
    void retriesATimedOutReadOnAFreshConnection() throws Exception {
        // a long timeout: the fault is cleared well inside the first attempt's wait, however loaded the machine
        ConfigFixture config = ConfigFixture.meter("m0", simulator.modbusPort(0), "energy=1000").withRetries(1)
                .withTimeout(2000);
        MeterSettings s = MeterSettings.of(config);
        poller(config);
        assertThat(pollOnce(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);
        var faults = simulator.meters().get(0).faults();
        faults.noReply(true);
        // the first attempt times out; the fault is cleared while it waits, so the retry on a new connection reads
        Thread clearer = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            faults.clear();
        });
        clearer.start();
        Sample sample = pollOnce(s, "energy");
        clearer.join();
        assertThat(sample.status()).as(sample.detail()).isEqualTo(AcquisitionStatus.OK);
        assertThat(poller.status().consecutiveFailures()).isZero();
        assertThat(poller.status().lastLatency()).as("the first attempt waited its timeout")
                .isGreaterThanOrEqualTo(java.time.Duration.ofMillis(2000));
    }

    @Test
    void reconnectsAfterTheMeterRestarts() throws Exception {
        int port = simulator.modbusPort(0);
        ConfigFixture config = ConfigFixture.meter("m0", port, "energy=1000");
        MeterSettings s = MeterSettings.of(config);
        poller(config);
        assertThat(pollOnce(s, "energy").status()).isEqualTo(AcquisitionStatus.OK);

        simulator.close();
        Sample down = pollOnce(s, "energy");
        assertThat(down.status()).as(down.detail()).isIn(AcquisitionStatus.CONNECTION_LOST, AcquisitionStatus.TIMEOUT);
        Sample waiting = pollOnce(s, "energy");
        assertThat(waiting.status()).isEqualTo(AcquisitionStatus.CONNECTION_LOST);
        assertThat(waiting.detail()).contains("next attempt in");

        simulator = new Simulator(profile, 1, "127.0.0.1", port, 3, clock::get);
        awaitReconnectWindow();
        Sample up = pollOnce(s, "energy");
        assertThat(up.status()).as(up.detail()).isEqualTo(AcquisitionStatus.OK);
    }

    @Test
    void metersOnTheDriversGridArePolledTogetherWhereverTheyStarted() throws Exception {
        PollGrid shared = new PollGrid();
        List<MeterPoller> pollers = new ArrayList<>();
        try (Simulator six = new Simulator(profile, 6, "127.0.0.1", 0, 5, clock::get)) {
            for (int i = 0; i < 3; i++) { // started 70 ms apart: on one grid, and each on a grid of its own
                for (String grid : new String[] { "shared", "own" }) {
                    int n = grid.equals("shared") ? i : 3 + i;
                    MeterPoller p = new MeterPoller(MeterSettings.of(ConfigFixture.meter(grid + i, six.modbusPort(n),
                            "energy=200")), consumer, Clock.systemUTC(), loop, grid.equals("shared") ? shared
                                    : new PollGrid());
                    pollers.add(p);
                    p.start();
                }
                Thread.sleep(70);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (samples.stream().filter(s -> s.status() == AcquisitionStatus.OK).map(Sample::meterId).distinct()
                    .count() < 6 || samples.size() < 6 * 5) {
                assertThat(System.nanoTime()).as("every meter polled a few times").isLessThan(deadline);
                Thread.sleep(20);
            }
        } finally {
            pollers.forEach(MeterPoller::close);
        }
        assertThat(phaseSpread("shared")).as("ms apart in their 200 ms period").isLessThan(25);
        assertThat(phaseSpread("own")).isGreaterThanOrEqualTo(40);
    }

    /** The largest distance (ms, around the 200 ms period) between the last polls of the meters named so. */
    private long phaseSpread(String prefix) {
        long[] phases = samples.stream().filter(s -> s.meterId().startsWith(prefix))
                .collect(java.util.stream.Collectors.toMap(Sample::meterId, s -> s.acquiredAt().toEpochMilli() % 200,
                        (a, b) -> b))
                .values().stream().mapToLong(Long::longValue).toArray();
        assertThat(phases).hasSize(3);
        long spread = 0;
        for (long a : phases) {
            for (long b : phases) {
                spread = Math.max(spread, Math.min(Math.abs(a - b), 200 - Math.abs(a - b)));
            }
        }
        return spread;
    }

    /** Waits out the reconnect backoff: the backoff is the behaviour under test, and its end is known. */
    private void awaitReconnectWindow() throws InterruptedException {
        Thread.sleep(poller.reconnectDelay().toMillis() + 20);
    }
}
