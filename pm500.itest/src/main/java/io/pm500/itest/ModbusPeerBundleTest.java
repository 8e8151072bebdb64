package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.DeviceProfiles;
import io.pm500.api.profile.ModbusSection;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.testkit.process.KnownRegisters;
import io.pm500.testkit.process.PyModbusPeer;
import io.pm500.testkit.process.PyModbusPeer.Server;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The gateway's Modbus meters against servers we did not write (Debian's pymodbus), through the pipeline to a sink:
 * exact values with GOOD quality (counters past 2^48, the serial, REALs), a refused block BAD with its exception
 * code in the meter's status, and a meter whose replies come late LOST and never GOOD. One pymodbus process.
 */
@ExtendWith(FailureReport.class)
class ModbusPeerBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static KnownRegisters known;
    private static PyModbusPeer peer;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;

    private final List<Configuration> configs = new ArrayList<>();
    private final List<EnrichedReading> got = new CopyOnWriteArrayList<>();
    private final String run = Long.toString(System.nanoTime(), 36);
    private ServiceRegistration<Sink> sink;

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

    @AfterEach
    void cleanUp() throws Exception {
        for (Configuration c : configs) {
            c.delete();
        }
        if (sink != null) {
            sink.unregister();
        }
        Configuration pipeline = configAdmin.getConfiguration("pm500.pipeline", "?");
        pipeline.update(new Hashtable<>(Map.of("retiredSinks", new String[] { sinkName() })));
        Await.until(TIMEOUT, () -> "outbox of " + sinkName() + " left",
                () -> StatusSources.sinks(context).stream().noneMatch(s -> s.sinkName().equals(sinkName())));
        pipeline.delete();
    }

    private String sinkName() {
        return "pymodbus-" + run;
    }

    @Test
    void exactValuesGoodARefusedBlockBadWithItsCodeALateMeterLost() throws Exception {
        sink = context.registerService(Sink.class, (batch, historical) -> got.addAll(batch),
                new Hashtable<>(Map.of(Sink.NAME, sinkName())));
        String good = "pymodbus-good-" + run;
        String holes = "pymodbus-holes-" + run;
        String late = "pymodbus-late-" + run;
        meter(good, "values");
        meter(holes, "holes");
        meter(late, "late");

        Await.until(TIMEOUT, () -> "GOOD readings of " + good + ": " + goodValues(good).keySet(),
                () -> goodValues(good).keySet().containsAll(known.expected().keySet()));
        assertThat(goodValues(good)).containsAllEntriesOf(known.expected());

        Await.until(TIMEOUT, () -> "status of " + holes + ": " + status(holes), () -> status(holes)
                .filter(s -> s.lastError().startsWith("DEVICE_ERROR: Modbus exception 2 (Illegal Data Address)"))
                .isPresent());
        assertThat(status(holes).orElseThrow().state()).as("the meter answers").isEqualTo(ConnectionState.CONNECTED);
        Await.until(TIMEOUT, () -> "BAD settings of " + holes, () -> readings(holes, "ct.ratio").stream()
                .anyMatch(r -> r.quality() == Quality.BAD));
        assertThat(readings(holes, "ct.ratio")).allMatch(r -> r.quality() == Quality.BAD && r.value() == null);
        assertThat(readings(holes, "energy.active.import.total")).isNotEmpty()
                .allMatch(r -> r.quality() == Quality.GOOD);

        Await.until(TIMEOUT, () -> "status of " + late + ": " + status(late),
                () -> status(late).filter(s -> s.state() == ConnectionState.LOST).isPresent());
        assertThat(status(late).orElseThrow().lastError()).startsWith("TIMEOUT: no reply within 1000 ms from unit 1");
        assertThat(got.stream().filter(r -> r.meterId().equals(late))).noneMatch(r -> r.quality() == Quality.GOOD);
        assertThat(got.stream().filter(r -> r.meterId().equals(good) && known.expected().containsKey(r.metric())))
                .as("never STALE, never BAD").allMatch(r -> r.quality() == Quality.GOOD);
    }

    private void meter(String meterId, String server) throws Exception {
        Configuration c = configAdmin.getFactoryConfiguration("pm500.driver.modbus", meterId, "?");
        configs.add(c);
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("meterId", meterId);
        p.put("host", "127.0.0.1");
        p.put("port", peer.port(server));
        p.put("blockIntervals", new String[] { "info=0", "energy=500", "settings=500", "status=500" });
        c.update(p);
    }

    private Optional<MeterStatus> status(String meterId) {
        return StatusSources.meters(context).stream().filter(m -> m.meterId().equals(meterId)).findFirst();
    }

    private List<EnrichedReading> readings(String meterId, String metric) {
        return got.stream().filter(r -> r.meterId().equals(meterId) && r.metric().equals(metric)).toList();
    }

    /** The meter's GOOD values by metric, the newest of each. */
    private Map<String, Value> goodValues(String meterId) {
        Map<String, Value> values = new java.util.HashMap<>();
        got.stream().filter(r -> r.meterId().equals(meterId) && r.quality() == Quality.GOOD)
                .forEach(r -> values.put(r.metric(), r.value()));
        return values;
    }
}
