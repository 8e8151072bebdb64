package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipSection;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.FieldType;
import io.pm500.api.profile.Point;
import io.pm500.api.profile.PointKind;
import io.pm500.api.profile.Scaling;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EnricherTest {
    static final Instant T0 = Instant.parse("2026-11-27T10:00:00.123456789Z");
    static final Instant NOW = T0.plusMillis(3);

    static final DeviceProfile PROFILE = new DeviceProfile(1, "test", null, List.of(), Map.of(
            "v1", point("V", Phase.L1, PointKind.VOLTAGE, Scaling.NONE),
            "v2", point("V", Phase.L2, PointKind.VOLTAGE, Scaling.NONE),
            "v3", point("V", Phase.L3, PointKind.VOLTAGE, Scaling.NONE),
            "i1", point("A", Phase.L1, PointKind.CURRENT, Scaling.CT),
            "vsec", point("V", Phase.L1, PointKind.VOLTAGE, Scaling.VT),
            "p", point("kW", Phase.TOTAL, PointKind.ACTIVE_POWER, Scaling.CT_VT),
            "pf", point("", Phase.TOTAL, PointKind.POWER_FACTOR, Scaling.NONE),
            "e", point("Wh", Phase.TOTAL, PointKind.ENERGY, Scaling.NONE),
            "serial", point("", Phase.NONE, PointKind.IDENTITY, Scaling.NONE)),
            new CipSection(null, List.of(new CipBlock("b", 4, 101, 3, 12, false, List.of(
                    field("v1"), field("v2"), field("v3"))))), null);

    static Point point(String unit, Phase phase, PointKind kind, Scaling scaling) {
        return new Point(unit, phase, kind, scaling, "", null);
    }

    static Field field(String point) {
        return new Field(point, FieldType.REAL, null, 0, 1, 0, null, null);
    }

    static AssetInfo asset(double ct, double vt) {
        return new AssetInfo("m1", "plant", "press", "feeder-1", "", List.of(), ct, vt);
    }

    static MeterModel model(String[] overrides, String... derived) {
        return model(asset(1, 1), PROFILE, EnrichSettings.of(3, overrides, derived));
    }

    /** One meter's model, its shared part made for it alone. */
    static MeterModel model(AssetInfo asset, DeviceProfile profile, EnrichSettings settings) {
        return new MeterModel(asset, new MeterModel.Scaled(profile, settings, asset.ctRatio(), asset.vtRatio()));
    }

    static List<EnrichedReading> enrich(MeterModel model, PointValue... points) {
        return Enricher.enrich(model, Sample.ok("m1", "b", T0, List.of(points)), false, null,
                new Enricher.Sequence(100, 20), NOW);
    }

    static PointValue real(String id, double v) {
        return new PointValue(id, Value.of(v));
    }

    @Test
    void freshValuesAreGoodAndCarryAssetAndTimes() {
        EnrichedReading r = enrich(model(new String[0]), real("v1", 230.5)).get(0);
        assertThat(r.quality()).isEqualTo(Quality.GOOD);
        assertThat(r).extracting(EnrichedReading::sequence, EnrichedReading::meterId, EnrichedReading::site,
                EnrichedReading::area, EnrichedReading::asset, EnrichedReading::metric, EnrichedReading::phase,
                EnrichedReading::unit).containsExactly(100L, "m1", "plant", "press", "feeder-1", "v1", Phase.L1, "V");
        assertThat(r.acquiredAt()).isSameAs(T0);
        assertThat(r.enrichedAt()).isEqualTo(NOW);
    }

    @Test
    void outOfRangeValuesAreKeptAndUncertain() {
        List<EnrichedReading> rs = enrich(model(new String[0]), real("v1", -1), real("pf", 1.0001), real("pf", -1),
                real("v2", Double.NaN), real("p", Double.POSITIVE_INFINITY), real("p", -50), real("i1", 0),
                new PointValue("e", Value.of(-1L)), new PointValue("serial", Value.of("X1")));
        assertThat(rs).extracting(EnrichedReading::quality).containsExactly(Quality.UNCERTAIN, Quality.UNCERTAIN,
                Quality.GOOD, Quality.UNCERTAIN, Quality.UNCERTAIN, Quality.GOOD, Quality.GOOD, Quality.UNCERTAIN,
                Quality.GOOD);
        assertThat(rs.get(0).value()).isEqualTo(Value.of(-1.0));
        assertThat(rs.get(3).value().asDouble()).isNaN();
    }

    @Test
    void failedReadIsBadWithoutValueForEveryPointOfTheBlock() {
        MeterModel m = model(new String[0]);
        Sample last = Sample.ok("m1", "b", T0, List.of(real("v1", 1), real("v2", 2), real("v3", 3)));
        List<EnrichedReading> rs = Enricher.enrich(m, Sample.failed("m1", "b", NOW, AcquisitionStatus.TIMEOUT, "t"),
                false, last, new Enricher.Sequence(1, 10), NOW);
        assertThat(rs).extracting(EnrichedReading::metric).containsExactly("v1", "v2", "v3");
        assertThat(rs).allSatisfy(r -> {
            assertThat(r.quality()).isEqualTo(Quality.BAD);
            assertThat(r.value()).isNull();
            assertThat(r.acquiredAt()).isEqualTo(NOW);
        });
    }

    @Test
    void failedReadOfALostMeterIsStaleWithTheLastValues() {
        MeterModel m = model(new String[0]);
        Sample last = Sample.ok("m1", "b", T0, List.of(real("v1", 1), real("v2", 2), real("v3", 3)));
        List<EnrichedReading> rs = Enricher.enrich(m, Sample.failed("m1", "b", NOW, AcquisitionStatus.TIMEOUT, "t"),
                true, last, new Enricher.Sequence(1, 10), NOW);
        assertThat(rs).extracting(EnrichedReading::quality).containsOnly(Quality.STALE);
        assertThat(rs).extracting(r -> r.value().asDouble()).containsExactly(1.0, 2.0, 3.0);
    }

    @Test
    void lostMeterWithoutAnyGoodReadIsStaleWithoutValue() {
        List<EnrichedReading> rs = Enricher.enrich(model(new String[0]),
                Sample.failed("m1", "b", NOW, AcquisitionStatus.CONNECTION_LOST, "refused"), true, null,
                new Enricher.Sequence(1, 10), NOW);
        assertThat(rs).hasSize(3).allSatisfy(r -> {
            assertThat(r.quality()).isEqualTo(Quality.STALE);
            assertThat(r.value()).isNull();
        });
    }

    @Test
    void overdueBlockIsStaleAtDetectionTime() {
        Sample last = Sample.ok("m1", "b", T0, List.of(real("v1", 1), real("v2", 2), real("v3", 3)));
        Instant later = T0.plusSeconds(4);
        List<EnrichedReading> rs = Enricher.stale(model(new String[0]), "b", last, new Enricher.Sequence(1, 10),
                later);
        assertThat(rs).allSatisfy(r -> {
            assertThat(r.quality()).isEqualTo(Quality.STALE);
            assertThat(r.acquiredAt()).isEqualTo(later);
        });
        assertThat(rs).extracting(r -> r.value().asDouble()).containsExactly(1.0, 2.0, 3.0);
    }

    @Test
    void staleRuleNeedsTwoArrivalsAndAFactorOfIntervals() {
        MeterState.Block b = new MeterState.Block();
        b.arrived(1_000_000_000L);
        assertThat(b.overdue(100_000_000_000L, 3)).as("one arrival: interval unknown").isFalse();
        b.arrived(2_000_000_000L);
        assertThat(b.overdue(5_000_000_000L, 3)).as("exactly 3 intervals").isFalse();
        assertThat(b.overdue(5_000_000_001L, 3)).isTrue();
        b.stale = true;
        assertThat(b.overdue(9_000_000_000L, 3)).as("stamped once").isFalse();
        b.arrived(9_000_000_000L);
        assertThat(b.stale).isFalse();
    }

    @Test
    void theDriversIntervalWinsOverAShortGapLearntAtStartUpAndOutlivesTheDriver() {
        MeterState.Block b = new MeterState.Block();
        b.arrived(1_000_000_000L); // the first read, late: it waited for the connection
        b.arrived(1_200_000_000L); // the second, on schedule
        assertThat(b.overdue(2_000_000_000L, 3)).as("learnt: 3 x 0.2 s passed").isTrue();
        b.reportedIntervalNanos = 1_000_000_000L; // the driver's 1 s, remembered when the driver has gone
        assertThat(b.overdue(2_000_000_000L, 3)).as("driver's 1 s interval").isFalse();
        assertThat(b.overdue(4_200_000_001L, 3)).isTrue();
        MeterState.Block single = new MeterState.Block();
        single.arrived(1_000_000_000L);
        single.reportedIntervalNanos = 1_000_000_000L;
        assertThat(single.overdue(4_000_000_001L, 3)).as("one arrival is enough with the driver's").isTrue();
        single.reportedIntervalNanos = 0;
        assertThat(single.overdue(100_000_000_000L, 3)).as("read once per connection: never").isFalse();
    }

    @Test
    void transformerRatiosApplyOnlyWhereTheProfileSaysSecondary() {
        MeterModel m = model(asset(40, 2.5), PROFILE, EnrichSettings.of(3, new String[0], new String[0]));
        List<EnrichedReading> rs = Enricher.enrich(m, Sample.ok("m1", "b", T0, List.of(real("v1", 100),
                real("i1", 2.5), real("vsec", 100), real("p", 1), new PointValue("i1", Value.of(3L)))), false, null,
                new Enricher.Sequence(1, 10), NOW);
        assertThat(rs).extracting(EnrichedReading::value).containsExactly(Value.of(100.0), Value.of(100.0),
                Value.of(250.0), Value.of(100.0), Value.of(120L));
    }

    @Test
    void metersWithTheSameTransformerRatiosShareTheirScaledModelOnly() {
        Enrichment e = new Enrichment(EnrichSettings.of(3, new String[0], new String[0]), Map.of(
                "m1", new AssetInfo("m1", "plant", "press", "feeder-1", "", List.of(), 40, 1),
                "m2", new AssetInfo("m2", "plant", "press", "feeder-2", "", List.of(), 40, 1),
                "m3", new AssetInfo("m3", "plant", "press", "feeder-3", "", List.of(), 80, 1)));
        MeterModel m1 = e.model("m1", PROFILE);
        MeterModel m2 = e.model("m2", PROFILE);
        MeterModel m3 = e.model("m3", PROFILE);
        assertThat(m2.metric("i1")).isSameAs(m1.metric("i1"));
        assertThat(List.of(m1.asset().asset(), m2.asset().asset())).containsExactly("feeder-1", "feeder-2");
        assertThat(List.of(m1.metric("i1").factor(), m3.metric("i1").factor())).containsExactly(40.0, 80.0);

        e.asset("m1", Optional.of(new AssetInfo("m1", "plant", "press", "feeder-1", "", List.of(), 80, 1)));
        assertThat(e.model("m1", PROFILE).metric("i1")).isSameAs(m3.metric("i1"));
        assertThat(e.model("m2", PROFILE).metric("i1").factor()).as("m2 keeps its ratio").isEqualTo(40.0);
    }

    @Test
    void unitOverridesConvert() {
        MeterModel m = model(new String[] { "p=W", "e=kWh", "v*=kV" });
        List<EnrichedReading> rs = enrich(m, real("p", 1.5), new PointValue("e", Value.of(123_456L)));
        assertThat(rs.get(0).unit()).isEqualTo("W");
        assertThat(rs.get(0).value()).isEqualTo(Value.of(1500.0));
        assertThat(rs.get(1).unit()).isEqualTo("kWh");
        assertThat(rs.get(1).value().asDouble()).isCloseTo(123.456, within(1e-9));
    }

    @Test
    void integerCountersStayExactWhenScaledUp() {
        assertThat(Enricher.scale(Value.of(123L), 1000)).isEqualTo(Value.of(123_000L));
        assertThat(Enricher.scale(Value.of(Long.MAX_VALUE / 2), 1000)).isInstanceOf(Value.Real.class);
        assertThat(Enricher.scale(Value.of("x"), 1000)).isEqualTo(Value.of("x"));
    }

    @Test
    void patternOverrideSkipsMetricsOfOtherUnitsAndExactOverrideMustConvert() {
        MeterModel m = model(new String[] { "*=kW" });
        List<EnrichedReading> rs = enrich(m, real("p", 2), real("v1", 230));
        assertThat(rs).extracting(EnrichedReading::unit).containsExactly("kW", "V");
        assertThatIllegalArgumentException().isThrownBy(() -> MeterModel.checkOverrides(PROFILE,
                EnrichSettings.of(3, new String[] { "v1=kW" }, new String[0]))).withMessageContaining("v1=kW")
                .withMessageContaining("does not convert");
    }

    @Test
    void derivedUnbalanceUsesTheWorstInputQuality() {
        MeterModel m = model(new String[0], "vu=unbalance(v1,v2,v3)", "vsum=sum(v1,v2)");
        List<EnrichedReading> rs = enrich(m, real("v1", 230), real("v2", 220), real("v3", 240));
        EnrichedReading vu = rs.get(3);
        assertThat(vu.metric()).isEqualTo("vu");
        assertThat(vu.unit()).isEqualTo("%");
        assertThat(vu.phase()).isEqualTo(Phase.TOTAL);
        assertThat(vu.value().asDouble()).isCloseTo(100 * 10 / 230.0, within(1e-9));
        assertThat(rs.get(4).value().asDouble()).isEqualTo(450.0);
        assertThat(rs.get(4).unit()).isEqualTo("V");

        List<EnrichedReading> partial = enrich(m, real("v1", 230), real("v2", -1));
        assertThat(partial).extracting(EnrichedReading::metric).containsExactly("v1", "v2", "vsum");
        assertThat(partial.get(2).quality()).isEqualTo(Quality.UNCERTAIN);
    }

    @Test
    void derivedOfAFailedReadHasNoValue() {
        MeterModel m = model(new String[0], "vu=unbalance(v1,v2,v3)");
        List<EnrichedReading> rs = Enricher.enrich(m, Sample.failed("m1", "b", NOW, AcquisitionStatus.TIMEOUT, "t"),
                false, null, new Enricher.Sequence(1, 10), NOW);
        assertThat(rs.get(3).metric()).isEqualTo("vu");
        assertThat(rs.get(3).value()).isNull();
        assertThat(rs.get(3).quality()).isEqualTo(Quality.BAD);
    }

    @Test
    void sequenceIdsAreConsecutiveWithinTheReservedBlock() {
        List<EnrichedReading> rs = enrich(model(new String[0]), real("v1", 1), real("v2", 2));
        assertThat(rs).extracting(EnrichedReading::sequence).containsExactly(100L, 101L);
    }

    @Test
    void badSettingsAreRefusedWithTheFix() {
        assertThatIllegalArgumentException().isThrownBy(() -> EnrichSettings.of(1, new String[0], new String[0]))
                .withMessageContaining("at least 2");
        assertThatIllegalArgumentException().isThrownBy(() -> EnrichSettings.of(3, new String[] { "p" },
                new String[0])).withMessageContaining("<metric>=<unit>");
        assertThatIllegalArgumentException().isThrownBy(() -> EnrichSettings.of(3, new String[] { "p=furlong" },
                new String[0])).withMessageContaining("furlong");
        assertThatIllegalArgumentException().isThrownBy(() -> EnrichSettings.of(3, new String[0],
                new String[] { "x=median(a,b)" })).withMessageContaining("median");
        assertThatIllegalArgumentException().isThrownBy(() -> EnrichSettings.of(3, new String[0],
                new String[] { "x=sum(a)" })).withMessageContaining("two");
    }
}
