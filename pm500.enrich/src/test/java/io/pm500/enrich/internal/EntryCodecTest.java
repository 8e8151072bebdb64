package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
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

    /**
     * The outboxes on disk hold entries in {@link DataOutputStream}'s layout: the writer must produce exactly those
     * bytes, whatever the strings (NUL, Latin-1, the BMP, surrogate pairs and lone surrogates, long ones) and values,
     * also when it reuses its buffer for a shorter entry after a longer one.
     */
    @Test
    void theWriterWritesExactlyWhatADataOutputStreamWrites() throws IOException {
        SplittableRandom random = new SplittableRandom(23);
        EntryCodec.Writer writer = new EntryCodec.Writer();
        for (int entry = 0; entry < 2000; entry++) {
            int count = 1 + random.nextInt(entry % 50 == 0 ? 200 : 12);
            List<EnrichedReading> rs = new ArrayList<>();
            String meter = "m" + text(random, 20); // ids and metric names are never blank
            Instant enriched = Instant.ofEpochSecond(random.nextLong(1L << 40), random.nextInt(1_000_000_000));
            for (int i = 0; i < count; i++) {
                Value value = switch (random.nextInt(4)) {
                    case 0 -> null;
                    case 1 -> Value.of(Double.longBitsToDouble(random.nextLong()));
                    case 2 -> Value.of(random.nextLong());
                    default -> Value.of(text(random, entry % 97 == 0 ? 20_000 : 40));
                };
                Quality quality = value == null ? Quality.BAD : Quality.values()[random.nextInt(Quality.values().length)];
                rs.add(new EnrichedReading(random.nextLong(), meter, "site", text(random, 8), "asset",
                        "p" + text(random, 30), Phase.values()[random.nextInt(Phase.values().length)], text(random, 4),
                        value, quality,
                        Instant.ofEpochSecond(random.nextLong(1L << 40), random.nextInt(1_000_000_000)), enriched));
            }
            long appendedAt = random.nextLong();
            EntryCodec.Encoded e = writer.encode(rs, appendedAt);
            assertThat(Arrays.copyOf(e.bytes(), e.length())).isEqualTo(dataOutput(rs, appendedAt));
        }
    }

    @Test
    void aStringTooLongForTheFormatIsRefusedAsWriteUTFRefusesIt() {
        String fits = "\u20ac".repeat(21_845); // 3 bytes each: 65,535
        assertThat(EntryCodec.decode(encoded(List.of(reading("m1", "s", "p", "W", Value.of(fits))), 0),
                new EntryCodec.Strings())).extracting(EnrichedReading::value).containsExactly(Value.of(fits));
        assertThatThrownBy(() -> encoded(List.of(reading("m1", "s", "p", "W", Value.of(fits + "x"))), 0))
                .isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(UTFDataFormatException.class)
                .hasMessageContaining("65536 bytes");
    }

    /** A string of up to {@code max} chars from ASCII, NUL, Latin-1, the BMP and surrogates (paired or not). */
    private static String text(SplittableRandom random, int max) {
        int n = random.nextInt(max + 1);
        StringBuilder b = new StringBuilder(n);
        boolean ascii = random.nextInt(3) > 0;
        for (int i = 0; i < n; i++) {
            b.append(ascii ? (char) (0x20 + random.nextInt(0x5f)) : switch (random.nextInt(6)) {
                case 0 -> '\u0000';
                case 1 -> (char) random.nextInt(0x80);
                case 2 -> (char) (0x80 + random.nextInt(0x780));
                case 3 -> (char) (0x800 + random.nextInt(0xd000));
                case 4 -> (char) (0xd800 + random.nextInt(0x800)); // a surrogate, paired or not
                default -> (char) (0xe000 + random.nextInt(0x2000));
            });
        }
        return b.toString();
    }

    /** The entry as the codec wrote it through a {@link DataOutputStream} (the layout in EntryCodec's comment). */
    private static byte[] dataOutput(List<EnrichedReading> readings, long appendedAtMillis) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        EnrichedReading first = readings.get(0);
        out.writeByte(1);
        out.writeInt(readings.size());
        out.writeLong(appendedAtMillis);
        out.writeUTF(first.meterId());
        out.writeUTF(first.site());
        out.writeUTF(first.area());
        out.writeUTF(first.asset());
        out.writeLong(first.enrichedAt().getEpochSecond());
        out.writeInt(first.enrichedAt().getNano());
        for (EnrichedReading r : readings) {
            out.writeLong(r.sequence());
            out.writeUTF(r.metric());
            out.writeByte(r.phase().ordinal());
            out.writeUTF(r.unit());
            if (r.value() == null) {
                out.writeByte(0);
            } else if (r.value() instanceof Value.Real real) {
                out.writeByte(1);
                out.writeDouble(real.value());
            } else if (r.value() instanceof Value.Int integer) {
                out.writeByte(2);
                out.writeLong(integer.value());
            } else {
                out.writeByte(3);
                out.writeUTF(((Value.Text) r.value()).value());
            }
            out.writeShort(r.quality().code());
            out.writeLong(r.acquiredAt().getEpochSecond());
            out.writeInt(r.acquiredAt().getNano());
        }
        return bytes.toByteArray();
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
        EntryCodec.Encoded e = new EntryCodec.Writer().encode(readings, appendedAtMillis);
        return Arrays.copyOf(e.bytes(), e.length());
    }
}
