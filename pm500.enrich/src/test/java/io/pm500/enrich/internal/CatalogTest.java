package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.reading.MetricInfo.Kind;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Phase;
import io.pm500.profile.DeviceProfiles;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a meter will publish, from the blocks its driver reads, with the PM500 profile. */
class CatalogTest {
    static final String[] DEFAULT_DERIVED = { "voltage.unbalance=unbalance(voltage.l1n,voltage.l2n,voltage.l3n)" };

    static MeterModel model(double ct, String... overrides) throws Exception {
        DeviceProfile pm500 = DeviceProfiles.builtIn(DeviceProfiles.PM500);
        return EnricherTest.model(new AssetInfo("m1", "s", "a", "feeder-1", "", List.of(), ct, 1), pm500,
                EnrichSettings.of(3, overrides, DEFAULT_DERIVED));
    }

    @Test
    void pointsOfTheReadBlocksInBlockOrderThenDerived() throws Exception {
        List<MetricInfo> c = model(1).catalog(List.of("assembly.101", "assembly.100"));
        assertThat(c.get(0)).isEqualTo(new MetricInfo("voltage.l1n", Phase.L1, "V", Kind.REAL));
        assertThat(c).extracting(MetricInfo::metric).contains("current.n", "firmware.base", "serial")
                .doesNotContain("power.active.total", "energy.active.import.total").last()
                .isEqualTo("voltage.unbalance");
        assertThat(c).filteredOn(m -> m.metric().equals("serial")).singleElement()
                .extracting(MetricInfo::kind).isEqualTo(Kind.TEXT);
        assertThat(c).filteredOn(m -> m.metric().equals("firmware.base")).singleElement()
                .extracting(MetricInfo::kind).isEqualTo(Kind.INT);
        assertThat(c).filteredOn(m -> m.metric().equals("voltage.unbalance")).singleElement()
                .isEqualTo(new MetricInfo("voltage.unbalance", Phase.TOTAL, "%", Kind.REAL));
    }

    @Test
    void kindsFollowTheEncodingAndTheScaling() throws Exception {
        // Modbus counters are integers; scaled by a whole CT ratio they stay integers, converted to kWh they do not
        assertThat(kind(model(1).catalog(List.of("energy")), "energy.active.import.total")).isEqualTo(Kind.INT);
        assertThat(kind(model(40).catalog(List.of("energy")), "energy.active.import.total")).isEqualTo(Kind.INT);
        assertThat(kind(model(1, "energy.*=kWh").catalog(List.of("energy")), "energy.active.import.total"))
                .isEqualTo(Kind.REAL);
        // the same counter from the EtherNet/IP assembly (two REALs) is a REAL, and reading both makes it REAL
        assertThat(kind(model(1).catalog(List.of("assembly.107")), "energy.active.import.total")).isEqualTo(Kind.REAL);
        assertThat(kind(model(1).catalog(List.of("energy", "assembly.107")), "energy.active.import.total"))
                .isEqualTo(Kind.REAL);
        assertThat(model(1, "energy.*=kWh").catalog(List.of("energy"))).filteredOn(m -> m.metric().startsWith(
                "energy.")).allSatisfy(m -> assertThat(m.unit()).isIn("kWh", "varh"));
        assertThat(model(1).catalog(List.of("no-such-block"))).isEmpty();
    }

    private static Kind kind(List<MetricInfo> catalog, String metric) {
        return catalog.stream().filter(m -> m.metric().equals(metric)).findFirst().orElseThrow().kind();
    }
}
