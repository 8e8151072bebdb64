package io.pm500.api.reading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.pm500.api.sample.Value;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EnrichedReadingTest {
    private static final Instant T = Instant.parse("2026-11-26T12:00:00Z");

    @Test
    void qualityCodesAreSparkplugs() {
        assertThat(Quality.GOOD.code()).isEqualTo(192);
        assertThat(Quality.BAD.code()).isEqualTo(0);
        assertThat(Quality.STALE.code()).isEqualTo(500);
        assertThat(Quality.UNCERTAIN.code()).isEqualTo(64);
    }

    @ParameterizedTest
    @EnumSource(Quality.class)
    void qualityRoundTripsThroughItsCode(Quality q) {
        assertThat(Quality.ofCode(q.code())).isSameAs(q);
    }

    @Test
    void theWorseQualityIsTheLessTrusted() {
        assertThat(Quality.GOOD.worse(Quality.UNCERTAIN)).isSameAs(Quality.UNCERTAIN);
        assertThat(Quality.UNCERTAIN.worse(Quality.STALE)).isSameAs(Quality.STALE);
        assertThat(Quality.BAD.worse(Quality.STALE)).isSameAs(Quality.BAD);
        assertThat(Quality.GOOD.worse(Quality.GOOD)).isSameAs(Quality.GOOD);
    }

    @Test
    void unknownQualityCodeIsBad() {
        assertThat(Quality.ofCode(7)).isSameAs(Quality.BAD);
    }

    @Test
    void goodReadingNeedsValueBadOneMayHaveNone() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new EnrichedReading(1, "m1", "s", "a", "x", "voltage.l1n", Phase.L1, "V", null,
                        Quality.GOOD, T, T))
                .withMessageContaining("m1/voltage.l1n");
        EnrichedReading bad = new EnrichedReading(2, "m1", null, null, null, "voltage.l1n", Phase.L1, null, null,
                Quality.BAD, T, T);
        assertThat(bad.hasValue()).isFalse();
        assertThat(bad.site()).isEmpty();
        assertThat(bad.unit()).isEmpty();
    }

    @Test
    void acquisitionTimeIsKeptExactly() {
        Instant acquired = Instant.parse("2026-11-26T12:00:00.000000001Z");
        EnrichedReading r = new EnrichedReading(3, "m1", "s", "a", "x", "frequency", Phase.NONE, "Hz",
                Value.of(50.01), Quality.GOOD, acquired, T);
        assertThat(r.acquiredAt()).isEqualTo(acquired);
    }
}
