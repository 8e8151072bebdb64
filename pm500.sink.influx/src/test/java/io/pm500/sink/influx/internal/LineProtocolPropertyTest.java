package io.pm500.sink.influx.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.sink.influx.internal.LineProtocol.Precision;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** What every encoded batch must be, whatever the readings: checked with an independent strict parser. */
class LineProtocolPropertyTest {

    static Arbitrary<String> names() {
        // the characters line protocol escapes, plus text from across the BMP (no lone surrogates: not text)
        return Arbitraries.strings().withChars(",= \"\\\n\r\t").withCharRange('a', 'z').withCharRange('\u00a0',
                '\u024f').withCharRange('\u4e00', '\u4e20').ofMinLength(0).ofMaxLength(12);
    }

    static Arbitrary<Value> values() {
        return Arbitraries.oneOf(
                Arbitraries.doubles().withSpecialValue(Double.NaN).withSpecialValue(Double.POSITIVE_INFINITY)
                        .withSpecialValue(Double.NEGATIVE_INFINITY).withSpecialValue(Double.MAX_VALUE)
                        .withSpecialValue(Double.MIN_VALUE).withSpecialValue(-0.0).map(Value::of),
                Arbitraries.longs().map(Value::of),
                names().map(Value::of));
    }

    @Provide
    Arbitrary<List<EnrichedReading>> batches() {
        Arbitrary<EnrichedReading> reading = Combinators.combine(
                Arbitraries.of("m1", "m 2", "m,3"), names(), names(),
                Arbitraries.of("voltage.l1n", "current.n", "power.active.total", "energy.active.import.total",
                        "pf.l2", "serial", "max.power.reactive.l3", "a=b.c d", "demand.frequency"),
                Arbitraries.of(Phase.class), Arbitraries.of("V", "kW", "Wh", "", "W", "hp"),
                values().injectNull(0.1), Arbitraries.of(Quality.class))
                .as((meter, site, asset, metric, phase, unit, value, quality) -> new EnrichedReading(1, meter, site,
                        "area", asset, metric, phase, unit, value == null && quality == Quality.GOOD ? Value.of(1L)
                                : value, quality, Instant.ofEpochMilli(1_795_774_530_123L), Instant.EPOCH));
        Arbitrary<Integer> times = Arbitraries.integers().between(0, 2);
        return Combinators.combine(reading, times).as((r, t) -> new EnrichedReading(r.sequence(), r.meterId(),
                r.site(), r.area(), r.asset(), r.metric(), r.phase(), r.unit(), r.value(), r.quality(),
                r.acquiredAt().plusMillis(t), r.enrichedAt())).list().ofMinSize(1).ofMaxSize(40)
                .map(list -> {
                    long seq = 1;
                    List<EnrichedReading> numbered = new java.util.ArrayList<>();
                    for (EnrichedReading r : list) {
                        numbered.add(new EnrichedReading(seq++, r.meterId(), r.site(), r.area(), r.asset(),
                                r.metric(), r.phase(), r.unit(), r.value(), r.quality(), r.acquiredAt(),
                                r.enrichedAt()));
                    }
                    return numbered;
                });
    }

    @Property
    void everyLineParsesAndCarriesQualityAndSequence(@ForAll("batches") List<EnrichedReading> batch,
            @ForAll Precision precision) {
        StringBuilder out = new StringBuilder();
        int lines = new LineProtocol("powermonitor_500", true, true, precision).encode(batch, out, true);
        String text = out.toString();
        assertThat(text).endsWith("\n");
        String[] split = text.substring(0, text.length() - 1).split("\n", -1);
        assertThat(split).hasSize(lines);
        for (String line : split) {
            LineParser.Line l = LineParser.parse(line);
            assertThat(l.measurement()).isEqualTo("powermonitor_500");
            assertThat(l.fields()).containsKeys("quality", "seq");
            assertThat(l.tags().get("phase")).isIn("L1", "L2", "L3", "N", "total");
            l.fields().values().forEach(v -> {
                if (v instanceof Double d) {
                    assertThat(d).isFinite();
                }
            });
        }
    }

    @Property
    void oneLinePerMeterPhaseAndAcquisitionTimeOfConsecutiveReadings(
            @ForAll("batches") List<EnrichedReading> batch) {
        StringBuilder out = new StringBuilder();
        int lines = new LineProtocol("pm", false, true, Precision.MS).encode(batch, out, true);
        int expected = 0;
        int start = 0;
        while (start < batch.size()) {
            int end = start + 1;
            while (end < batch.size() && batch.get(end).meterId().equals(batch.get(start).meterId())
                    && batch.get(end).acquiredAt().equals(batch.get(start).acquiredAt())) {
                end++;
            }
            Set<Phase> phases = new HashSet<>();
            for (EnrichedReading r : batch.subList(start, end)) {
                phases.add(r.phase() == Phase.NONE ? Phase.TOTAL : r.phase());
            }
            expected += phases.size();
            start = end;
        }
        assertThat(lines).isEqualTo(expected);
    }

    @Property
    void tagsAndStringsRoundTripWithNewlinesAsSpaces(@ForAll("names") String site, @ForAll("names") String asset,
            @ForAll("names") String text) {
        EnrichedReading r = new EnrichedReading(3, "m1", site, "", asset, "serial", Phase.NONE, "", Value.of(text),
                Quality.GOOD, Instant.ofEpochMilli(5), Instant.EPOCH);
        StringBuilder out = new StringBuilder();
        new LineProtocol("pm", true, false, Precision.MS).encode(List.of(r), out, true);
        LineParser.Line l = LineParser.parse(out.substring(0, out.length() - 1));
        assertThat(l.tags().get("site")).isEqualTo(site.isEmpty() ? null : flat(site));
        assertThat(l.tags().get("asset")).isEqualTo(asset.isEmpty() ? null : flat(asset));
        assertThat(l.tags()).doesNotContainKey("area");
        assertThat(l.fields().get("serial")).isEqualTo(flat(text));
        assertThat(l.timestamp()).isEqualTo(5);
    }

    @Provide("names")
    Arbitrary<String> namesProvider() {
        return names();
    }

    static String flat(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }
}
