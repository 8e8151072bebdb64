package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Outbox entries decode to exactly what was encoded, whatever the strings and however full the string table. */
class EntryCodecTest {
    private static final Instant T = Instant.parse("2026-12-03T04:00:00.123456789Z");

    @Test
    void nonAsciiStringsRoundTrip() {
        List<EnrichedReading> rs = List.of(
                reading("zähler-1", "Halle Süd", "temperature", "°C", Value.of("ok ✓ \u0000 \uD83D\uDD0C")),
                reading("zähler-1", "Halle Süd", "resistance", "Ω", Value.of(1.5)));
        EntryCodec.Strings strings = new EntryCodec.Strings();
        assertThat(EntryCodec.decode(encoded(rs, 1), strings)).isEqualTo(rs);
        assertThat(EntryCodec.decode(encoded(rs, 2), strings)).isEqualTo(rs);
    }

    @Test
    void thousandsOfMetersThroughOneTableEachDecodeTheirOwn() {
        EntryCodec.Strings strings = new EntryCodec.Strings();
        for (int round = 0; round < 2; round++) { // the second round meets the table full of the first's strings
            for (int m = 0; m < 5000; m++) {
                List<EnrichedReading> rs = List.of(reading("m" + m, "site", "power." + m % 7, "W", Value.of(m)));
                assertThat(EntryCodec.decode(encoded(rs, m), strings)).isEqualTo(rs);
            }
        }
    }

    @Test
    void aCutEntryIsAnErrorNotGarbage() {
        byte[] entry = encoded(List.of(reading("m1", "s", "p", "W", Value.of(1.0))), 0);
        assertThatThrownBy(() -> EntryCodec.decode(Arrays.copyOf(entry, entry.length - 3), new EntryCodec.Strings()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cut short");
    }

    private static EnrichedReading reading(String meter, String site, String metric, String unit, Value value) {
        return new EnrichedReading(7, meter, site, "area", "asset", metric, Phase.TOTAL, unit, value, Quality.GOOD, T,
                T.plusMillis(3));
    }

    /** An entry's bytes as an outbox holds them (the encoder's view copied out). */
    static byte[] encoded(List<EnrichedReading> readings, long appendedAtMillis) {
        EntryCodec.Encoded e = EntryCodec.encode(readings, appendedAtMillis);
        return Arrays.copyOf(e.bytes(), e.length());
    }
}
