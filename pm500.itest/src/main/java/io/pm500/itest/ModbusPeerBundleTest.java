package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.ModbusSection;
import io.pm500.api.reading.Quality;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.profile.DeviceProfiles;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.KnownRegisters;
import io.pm500.testkit.process.PyModbusPeer.Server;
import io.pm500.testkit.process.PyModbusPeer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's Modbus meters against servers we did not write (Debian's pymodbus), through the pipeline to a sink:
 * exact values with GOOD quality (counters past 2^48, the serial, REALs), a refused block BAD with its exception
 * code in the meter's status, and a meter whose replies come late LOST and never GOOD. One pymodbus process.
 */
class ModbusPeerBundleTest extends PeerPipelineTest {
    private static KnownRegisters known;
    private static PyModbusPeer peer;

    @BeforeAll
    static void startPymodbus() throws Exception {
        ModbusSection map = DeviceProfiles.builtIn("pm500").modbus();
        known = KnownRegisters.of(map);
        peer = new PyModbusPeer(known.registers(), List.of(Server.normal("values"),
                new Server("holes", "normal", 1, 0, KnownRegisters.ranges(map, "settings"), "HIGH_FIRST"),
                new Server("late", "late", 1, 1500, List.of(), "HIGH_FIRST")));
    }

    @AfterAll
    static void stopPymodbus() throws Exception {
        peer.close();
    }

    @Test
    void exactValuesGoodARefusedBlockBadWithItsCodeALateMeterLost() throws Exception {
        String good = "pymodbus-good-" + run;
        String holes = "pymodbus-holes-" + run;
        String late = "pymodbus-late-" + run;
        meter(good, "values");
        meter(holes, "holes");
        meter(late, "late");

        Await.until(TIMEOUT, () -> "GOOD readings of " + good + ": " + sink.goodValues(good).keySet(),
                () -> sink.goodValues(good).keySet().containsAll(known.expected().keySet()));
        assertThat(sink.goodValues(good)).containsAllEntriesOf(known.expected());

        // the meter answers: CONNECTED, with the refused block's code as its last error
        Await.until(TIMEOUT, () -> "status of " + holes + ": " + status(holes), () -> status(holes)
                .filter(s -> s.lastError().startsWith("DEVICE_ERROR: Modbus exception 2 (Illegal Data Address)")
                        && s.state() == ConnectionState.CONNECTED).isPresent());
        Await.until(TIMEOUT, () -> "BAD settings of " + holes, () -> sink.readings(holes, "ct.ratio").stream()
                .anyMatch(r -> r.quality() == Quality.BAD));
        assertThat(sink.readings(holes, "ct.ratio")).allMatch(r -> r.quality() == Quality.BAD && r.value() == null);
        Await.until(TIMEOUT, () -> "energy of " + holes, () -> !sink.readings(holes, "energy.active.import.total")
                .isEmpty());
        assertThat(sink.readings(holes, "energy.active.import.total")).allMatch(r -> r.quality() == Quality.GOOD);

        Await.until(TIMEOUT, () -> "status of " + late + ": " + status(late),
                () -> status(late).filter(s -> s.state() == ConnectionState.LOST).isPresent());
        assertThat(status(late).orElseThrow().lastError()).startsWith("TIMEOUT: no reply within 1000 ms from unit 1");
        assertThat(sink.readings(late)).noneMatch(r -> r.quality() == Quality.GOOD);
        assertThat(sink.readings(good)).filteredOn(r -> known.expected().containsKey(r.metric()))
                .as("never STALE, never BAD").allMatch(r -> r.quality() == Quality.GOOD);
    }

    private void meter(String meterId, String server) throws Exception {
        configs.factory("pm500.driver.modbus", meterId, Map.of("meterId", meterId, "host", "127.0.0.1", "port",
                peer.port(server), "blockIntervals",
                new String[] { "info=0", "energy=500", "settings=500", "status=500" }));
    }

    private Optional<MeterStatus> status(String meterId) {
        return StatusSources.meters(context).stream().filter(m -> m.meterId().equals(meterId)).findFirst();
    }
}
