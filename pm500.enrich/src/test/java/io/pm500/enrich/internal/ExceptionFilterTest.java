package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExceptionFilterTest {
    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    static EnrichedReading r(String metric, Value v, Quality q, long second) {
        return new EnrichedReading(second, "m1", "", "", "", metric, Phase.NONE, "", v, q, T0.plusSeconds(second),
                T0.plusSeconds(second));
    }

    static EnrichedReading r(double v, long second) {
        return r("x", Value.of(v), Quality.GOOD, second);
    }

    static boolean passes(ExceptionFilter f, EnrichedReading reading) {
        return f.filter(List.of(reading)).size() == 1;
    }

    static ExceptionFilter filter(double abs, double pct, long silenceSeconds) {
        return new ExceptionFilter(new ExceptionFilter.Deadband(abs, pct, Duration.ofSeconds(silenceSeconds)));
    }

    @Test
    void firstReadingPassesThenOnlyChangesBeyondTheDeadband() {
        ExceptionFilter f = filter(1.0, 0, 3600);
        assertThat(passes(f, r(100, 1))).isTrue();
        assertThat(passes(f, r(101, 2))).as("exactly the deadband is not beyond it").isFalse();
        assertThat(passes(f, r(101.0001, 3))).isTrue();
        assertThat(passes(f, r(100.5, 4))).as("measured from the last passed value").isFalse();
        assertThat(passes(f, r(99.9, 5))).as("both directions").isTrue();
    }

    @Test
    void zeroDeadbandPassesAnyChangeButNotRepeats() {
        ExceptionFilter f = filter(0, 0, 3600);
        assertThat(passes(f, r(5, 1))).isTrue();
        assertThat(passes(f, r(5, 2))).isFalse();
        assertThat(passes(f, r(5.000001, 3))).isTrue();
    }

    @Test
    void theLargerOfAbsoluteAndPercentApplies() {
        ExceptionFilter f = filter(1.0, 2.0, 3600);
        assertThat(passes(f, r(1000, 1))).isTrue();
        assertThat(passes(f, r(1019, 2))).as("2% of 1000 = 20 > 1").isFalse();
        assertThat(passes(f, r(1021, 3))).isTrue();
        ExceptionFilter small = filter(1.0, 2.0, 3600);
        assertThat(passes(small, r(10, 1))).isTrue();
        assertThat(passes(small, r(10.9, 2))).as("2% of 10 = 0.2 < 1").isFalse();
        assertThat(passes(small, r(11.1, 3))).isTrue();
    }

    @Test
    void percentOfZeroPassesAnyChange() {
        ExceptionFilter f = filter(0, 5, 3600);
        assertThat(passes(f, r(0, 1))).isTrue();
        assertThat(passes(f, r(0.001, 2))).isTrue();
    }

    @Test
    void maxSilenceResendsUnchangedValuesByAcquisitionTime() {
        ExceptionFilter f = filter(10, 0, 60);
        assertThat(passes(f, r(1, 0))).isTrue();
        assertThat(passes(f, r(1, 59))).isFalse();
        assertThat(passes(f, r(1, 60))).isTrue();
        assertThat(passes(f, r(1, 119))).isFalse();
    }

    @Test
    void qualityChangeAndValueAppearingOrVanishingAlwaysPass() {
        ExceptionFilter f = filter(100, 0, 3600);
        assertThat(passes(f, r("x", Value.of(1.0), Quality.GOOD, 1))).isTrue();
        assertThat(passes(f, r("x", Value.of(1.0), Quality.UNCERTAIN, 2))).isTrue();
        assertThat(passes(f, r("x", null, Quality.BAD, 3))).isTrue();
        assertThat(passes(f, r("x", null, Quality.BAD, 4))).isFalse();
        assertThat(passes(f, r("x", Value.of(1.0), Quality.GOOD, 5))).isTrue();
    }

    @Test
    void nanAndInfinityAreChangesOnlyWhenTheyAppearOrLeave() {
        ExceptionFilter f = filter(1000, 0, 3600);
        assertThat(passes(f, r(1, 1))).isTrue();
        assertThat(passes(f, r(Double.NaN, 2))).isTrue();
        assertThat(passes(f, r(Double.NaN, 3))).isFalse();
        assertThat(passes(f, r(Double.POSITIVE_INFINITY, 4))).isTrue();
        assertThat(passes(f, r(Double.POSITIVE_INFINITY, 5))).isFalse();
        assertThat(passes(f, r(2, 6))).isTrue();
    }

    @Test
    void textAndIntegersCompareByValue() {
        ExceptionFilter f = filter(0, 0, 3600);
        assertThat(passes(f, r("s", Value.of("A1"), Quality.GOOD, 1))).isTrue();
        assertThat(passes(f, r("s", Value.of("A1"), Quality.GOOD, 2))).isFalse();
        assertThat(passes(f, r("s", Value.of("A2"), Quality.GOOD, 3))).isTrue();
        assertThat(passes(f, r("n", Value.of(7L), Quality.GOOD, 1))).isTrue();
        assertThat(passes(f, r("n", Value.of(7L), Quality.GOOD, 2))).isFalse();
        assertThat(passes(f, r("n", Value.of(8L), Quality.GOOD, 3))).isTrue();
    }

    @Test
    void metricsAndMetersAreIndependentAndListsKeepOrder() {
        ExceptionFilter f = filter(0, 0, 3600);
        List<EnrichedReading> first = List.of(r("a", Value.of(1.0), Quality.GOOD, 1),
                r("b", Value.of(1.0), Quality.GOOD, 1), r("c", Value.of(1.0), Quality.GOOD, 1));
        assertThat(f.filter(first)).isSameAs(first);
        List<EnrichedReading> second = List.of(r("a", Value.of(1.0), Quality.GOOD, 2),
                r("b", Value.of(2.0), Quality.GOOD, 2), r("c", Value.of(1.0), Quality.GOOD, 2));
        assertThat(f.filter(second)).extracting(EnrichedReading::metric).containsExactly("b");
        EnrichedReading otherMeter = new EnrichedReading(9, "m2", "", "", "", "a", Phase.NONE, "", Value.of(1.0),
                Quality.GOOD, T0, T0);
        assertThat(passes(f, otherMeter)).isTrue();
    }
}
