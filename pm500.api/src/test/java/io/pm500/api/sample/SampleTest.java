package io.pm500.api.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleTest {
    private static final Instant AT = Instant.parse("2026-11-26T12:00:00.123456789Z");

    @Test
    void okSampleKeepsPointsInOrderAndNanoseconds() {
        List<PointValue> points = new ArrayList<>(List.of(new PointValue("voltage.l1n", Value.of(230.1)),
                new PointValue("energy.import", Value.of(123_456_789_012L))));
        Sample s = Sample.ok("m1", "assembly.101", AT, points);
        points.clear();

        assertThat(s.points()).extracting(PointValue::pointId).containsExactly("voltage.l1n", "energy.import");
        assertThat(s.acquiredAt().getNano()).isEqualTo(123_456_789);
        assertThat(s.detail()).isEmpty();
        assertThat(s.status().isOk()).isTrue();
    }

    @Test
    void failedSampleNeedsDetailAndNoPoints() {
        Sample s = Sample.failed("m1", "assembly.101", AT, AcquisitionStatus.DEVICE_ERROR, "CIP general status 0x05");
        assertThat(s.points()).isEmpty();
        assertThat(s.detail()).contains("0x05");

        assertThatIllegalArgumentException()
                .isThrownBy(() -> Sample.failed("m1", "b", AT, AcquisitionStatus.TIMEOUT, ""))
                .withMessageContaining("needs a detail");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new Sample("m1", "b", AT, AcquisitionStatus.TIMEOUT, "late",
                        List.of(new PointValue("p", Value.of(1.0)))))
                .withMessageContaining("carries no point values");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new Sample("m1", "b", AT, AcquisitionStatus.OK, "oops", List.of()))
                .withMessageContaining("no error detail");
    }

    @Test
    void blankIdsAreRejectedByName() {
        assertThatIllegalArgumentException().isThrownBy(() -> Sample.ok(" ", "b", AT, List.of()))
                .withMessageContaining("meterId");
        assertThatIllegalArgumentException().isThrownBy(() -> new PointValue("", Value.of(1L)))
                .withMessageContaining("pointId");
        assertThatIllegalArgumentException().isThrownBy(() -> new PointValue("p", null))
                .withMessageContaining("'p'");
    }

    @Test
    void valuesKnowTheirShape() {
        assertThat(Value.of(Double.NaN).isNonFinite()).isTrue();
        assertThat(Value.of(Double.NEGATIVE_INFINITY).isNonFinite()).isTrue();
        assertThat(Value.of(1.5).isNonFinite()).isFalse();
        assertThat(Value.of(Long.MAX_VALUE).asDouble()).isEqualTo(9.223372036854776E18);
        assertThat(Value.of("940000123").isNumeric()).isFalse();
        assertThat(Value.of(7L)).isEqualTo(new Value.Int(7));
    }
}
