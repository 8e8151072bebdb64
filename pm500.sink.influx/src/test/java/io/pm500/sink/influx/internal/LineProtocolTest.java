package io.pm500.sink.influx.internal;

import static io.pm500.sink.influx.internal.Readings.T;
import static io.pm500.sink.influx.internal.Readings.good;
import static io.pm500.sink.influx.internal.Readings.of;
import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.sink.influx.internal.LineProtocol.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineProtocolTest {
    private final LineProtocol ms = new LineProtocol("powermonitor_500", true, false, Precision.MS);

    private String encode(LineProtocol lp, List<EnrichedReading> readings) {
        StringBuilder out = new StringBuilder();
        lp.encode(readings, out, true);
        return out.toString();
    }

    @Test
    void aSampleBecomesOneLinePerPhaseWithTheContractsNamesAndUnits() {
        String lines = encode(ms, Readings.sample(100, "m1", T));
        assertThat(lines.split("\n")).containsExactly(
                "powermonitor_500,area=line4,asset=feeder-m1,phase=L1,site=plant1 voltage=230.1,current=10.5,kW=2.25,"
                        + "power_factor=0.95,quality=192i,seq=100i 1795774530123",
                "powermonitor_500,area=line4,asset=feeder-m1,phase=L2,site=plant1 voltage=231.1,current=11.5,kW=3.25,"
                        + "power_factor=0.95,quality=192i,seq=104i 1795774530123",
                "powermonitor_500,area=line4,asset=feeder-m1,phase=L3,site=plant1 voltage=232.1,current=12.5,kW=4.25,"
                        + "power_factor=0.95,quality=192i,seq=108i 1795774530123",
                "powermonitor_500,area=line4,asset=feeder-m1,phase=N,site=plant1 current=0.4,quality=192i,seq=112i"
                        + " 1795774530123",
                "powermonitor_500,area=line4,asset=feeder-m1,phase=total,site=plant1 kW=9.75,voltage_l1l2=400.2,"
                        + "frequency=50.01,kWh=123456.789,alarms_virtual=5.0,quality=192i,seq=113i 1795774530123");
    }

    @Test
    void nanosecondsAndTheMeterTagWhenAskedAndNoEmptyTags() {
        LineProtocol ns = new LineProtocol("pm", false, true, Precision.NS);
        EnrichedReading r = new EnrichedReading(7, "m1", "", "a", "", "frequency", Phase.NONE, "Hz", Value.of(50.0),
                Quality.GOOD, T, T);
        assertThat(encode(ns, List.of(r))).isEqualTo("pm,meter=m1,phase=total frequency=50.0,quality=192i,seq=7i"
                + " 1795774530123456789\n");
    }

    @Test
    void badAndStaleValuesAndNonFiniteNumbersAreNeverWritten() {
        List<EnrichedReading> rs = List.of(
                good(1, "m1", "voltage.l1n", Phase.L1, "V", Value.of(230.0), T),
                of(2, "m1", "current.l1", Phase.L1, "A", null, Quality.BAD, T),
                of(3, "m1", "power.active.l1", Phase.L1, "kW", Value.of(3.0), Quality.STALE, T),
                of(4, "m1", "pf.l1", Phase.L1, "", Value.of(Double.NaN), Quality.UNCERTAIN, T),
                of(5, "m1", "pf.l2", Phase.L2, "", Value.of(Double.POSITIVE_INFINITY), Quality.UNCERTAIN, T),
                of(6, "m1", "pf.l3", Phase.L3, "", Value.of(1.02), Quality.UNCERTAIN, T));
        assertThat(encode(ms, rs).split("\n")).containsExactly(
                "powermonitor_500,area=line4,asset=feeder-m1,phase=L1,site=plant1 voltage=230.0,quality=0i,seq=1i"
                        + " 1795774530123",
                "powermonitor_500,area=line4,asset=feeder-m1,phase=L2,site=plant1 quality=64i,seq=5i 1795774530123",
                "powermonitor_500,area=line4,asset=feeder-m1,phase=L3,site=plant1 power_factor=1.02,quality=64i,seq=6i"
                        + " 1795774530123");
    }

    @Test
    void tagsFieldKeysAndStringsAreEscaped() {
        EnrichedReading r = new EnrichedReading(9, "m 1", "Plant, \"North\"", "a=b", "feeder\\4", "serial",
                Phase.NONE, "", Value.of("S/N \"42\" \\ x\ny"), Quality.GOOD, T, T);
        assertThat(encode(new LineProtocol("power monitor,500", true, true, Precision.MS), List.of(r)))
                .isEqualTo("power\\ monitor\\,500,area=a\\=b,asset=feeder\\\\4,meter=m\\ 1,phase=total,"
                        + "site=Plant\\,\\ \"North\" serial=\"S/N \\\"42\\\" \\\\ x y\",quality=192i,seq=9i"
                        + " 1795774530123\n");
    }

    @Test
    void fieldNamesFollowOneRule() {
        FieldNames f = new FieldNames();
        assertThat(f.of("voltage.l1n", Phase.L1).name()).isEqualTo("voltage");
        assertThat(f.of("voltage.ln.avg", Phase.TOTAL).name()).isEqualTo("voltage");
        assertThat(f.of("voltage.ll.avg", Phase.TOTAL).name()).isEqualTo("voltage_ll");
        assertThat(f.of("voltage.l2l3", Phase.NONE).name()).isEqualTo("voltage_l2l3");
        assertThat(f.of("max.power.reactive.l2", Phase.L2)).isEqualTo(new FieldNames.Field("kvar_max", "kvar"));
        assertThat(f.of("demand.power.apparent.total", Phase.TOTAL))
                .isEqualTo(new FieldNames.Field("kVA_demand", "kVA"));
        assertThat(f.of("demand.pf.total", Phase.TOTAL).name()).isEqualTo("power_factor_demand");
        assertThat(f.of("energy.reactive.export.partial", Phase.TOTAL))
                .isEqualTo(new FieldNames.Field("kvarh_export_partial", "kvarh"));
        assertThat(f.of("current.n", Phase.N).name()).isEqualTo("current");
        assertThat(f.of("run.hours", Phase.NONE).name()).isEqualTo("run_hours");
        assertThat(f.of("voltage.unbalance", Phase.TOTAL).name()).isEqualTo("voltage_unbalance");
        assertThat(f.of("total", Phase.TOTAL).name()).isEqualTo("total");
    }

    @Test
    void aUnitThatDoesNotConvertKeepsTheMetricsOwnName() {
        EnrichedReading r = good(1, "m1", "power.active.total", Phase.TOTAL, "hp", Value.of(3.0), T);
        assertThat(encode(ms, List.of(r))).contains(" power_active_total=3.0,quality=192i");
        EnrichedReading w = good(2, "m1", "power.active.total", Phase.TOTAL, "W", Value.of(3500L), T);
        assertThat(encode(ms, List.of(w))).as("an integer to a larger unit: the exact decimal")
                .contains(" kW=3.500,quality=192i");
    }
}
