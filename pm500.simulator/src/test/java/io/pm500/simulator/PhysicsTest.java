package io.pm500.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pm500.api.sample.Value;
import io.pm500.profile.DeviceProfiles;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PhysicsTest {

    private static double d(Map<String, Value> v, String id) {
        return v.get(id).asDouble();
    }

    @Test
    void valuesAreConsistentAndCountersOnlyGrow() throws Exception {
        AtomicLong clock = new AtomicLong();
        SimulatedMeter meter = new SimulatedMeter(3, DeviceProfiles.builtIn("pm500"), 42, clock::get);
        double lastWh = -1;
        double lastHours = -1;
        for (int minute = 0; minute < 120; minute += 7) {
            clock.set(minute * 60_000_000_000L);
            Map<String, Value> v = meter.values();
            double sumP = d(v, "power.active.l1") + d(v, "power.active.l2") + d(v, "power.active.l3");
            assertThat(d(v, "power.active.total")).isCloseTo(sumP, within(sumP * 0.001));
            for (String p : new String[] { "l1", "l2", "l3" }) {
                double s = d(v, "voltage." + p + "n") * d(v, "current." + p) / 1000;
                assertThat(d(v, "power.apparent." + p)).isCloseTo(s, within(1e-9));
                assertThat(d(v, "power.active." + p)).isCloseTo(s * d(v, "pf." + p), within(1e-9));
                double q = Math.sqrt(s * s - Math.pow(d(v, "power.active." + p), 2));
                assertThat(d(v, "power.reactive." + p)).isCloseTo(q, within(1e-6));
                assertThat(d(v, "pf." + p)).isBetween(0.8, 1.0);
                assertThat(d(v, "voltage." + p + "n")).isBetween(220.0, 240.0);
            }
            assertThat(d(v, "voltage.l1l2")).isCloseTo(d(v, "voltage.l1n") * Math.sqrt(3), within(8.0));
            assertThat(d(v, "frequency")).isBetween(49.9, 50.1);
            assertThat(d(v, "max.power.active.total")).isGreaterThanOrEqualTo(d(v, "power.active.total"));
            assertThat(d(v, "energy.active.import.total")).isGreaterThanOrEqualTo(lastWh);
            assertThat(d(v, "run.hours")).isGreaterThanOrEqualTo(lastHours);
            lastWh = d(v, "energy.active.import.total");
            lastHours = d(v, "run.hours");
        }
        // two hours at roughly P_total: the counter integrates power
        Map<String, Value> start = new SimulatedMeter(3, DeviceProfiles.builtIn("pm500"), 42, () -> 0).values();
        double gained = lastWh - d(start, "energy.active.import.total");
        assertThat(gained).isBetween(d(start, "power.active.total") * 1000 * 1.5, d(start, "power.active.total") * 1000 * 2.5);
    }

    @Test
    void sameSeedSameNumbersOtherSeedOtherNumbers() throws Exception {
        var profile = DeviceProfiles.builtIn("pm500");
        AtomicLong clock = new AtomicLong(90_000_000_000L);
        Map<String, Value> a = new SimulatedMeter(0, profile, 7, clock::get).values();
        Map<String, Value> b = new SimulatedMeter(0, profile, 7, clock::get).values();
        Map<String, Value> c = new SimulatedMeter(0, profile, 8, clock::get).values();
        assertThat(a).isEqualTo(b);
        assertThat(a.get("voltage.l1n")).isNotEqualTo(c.get("voltage.l1n"));
    }
}
