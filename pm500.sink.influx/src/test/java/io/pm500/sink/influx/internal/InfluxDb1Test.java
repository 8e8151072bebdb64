package io.pm500.sink.influx.internal;

import static io.pm500.sink.influx.internal.Readings.T;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.SinkException;
import io.pm500.testkit.process.InfluxDbProcess;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sink's v1 write path against a historian we did not write: Debian's InfluxDB 1.x, started once for the class
 * on an ephemeral loopback port and stopped by PID. What is stored is read back with InfluxQL.
 */
class InfluxDb1Test {
    private static InfluxDbProcess influx;

    @BeforeAll
    static void startInfluxDb() throws Exception {
        influx = InfluxDbProcess.start();
    }

    @AfterAll
    static void stopInfluxDb() throws Exception {
        influx.close();
    }

    private static InfluxSinkComponent sink(String database) throws Exception {
        influx.query(null, "CREATE DATABASE " + database);
        return new InfluxSinkComponent(Configs.properties("api", "v1", "url", influx.url(), "database", database,
                "precision", "ns"));
    }

    /**
     * Issue 18, fault 5: InfluxDB 1.x takes a backslash literally unless a comma, space or equals sign follows, so
     * a doubled one came back doubled. Names, tag values and string fields arrive as they were; a backslash 1.x
     * cannot store (before a separator) becomes '/'.
     */
    @Test
    void tagValuesAndStringsWithBackslashesQuotesCommasAndSpacesArriveAsTheyWere() throws Exception {
        InfluxSinkComponent sink = sink("escaping");
        try {
            List<String> assets = List.of("feeder\\4\"q", "a,b c=d", "back\\slash, then comma", "ends\\");
            List<EnrichedReading> batch = new ArrayList<>();
            for (int i = 0; i < assets.size(); i++) {
                batch.add(new EnrichedReading(i + 1, "m" + i, "plant\\1", "line 4", assets.get(i), "serial",
                        Phase.NONE, "", Value.of("PM5-\"00\\42\""), Quality.GOOD, T.plusSeconds(i), T));
            }
            sink.deliver(batch, false);
            JsonNode tags = influx.query("escaping", "SHOW TAG VALUES FROM powermonitor_500 WITH KEY = \"asset\"");
            List<String> stored = new ArrayList<>();
            tags.at("/results/0/series/0/values").forEach(v -> stored.add(v.get(1).asText()));
            assertThat(stored).containsExactlyInAnyOrder("feeder\\4\"q", "a,b c=d", "back\\slash, then comma",
                    "ends/");
            JsonNode rows = influx.query("escaping", "SELECT serial, site, area FROM powermonitor_500");
            rows.at("/results/0/series/0/values").forEach(row -> {
                assertThat(row.get(1).asText()).isEqualTo("PM5-\"00\\42\"");
                assertThat(row.get(2).asText()).isEqualTo("plant\\1");
                assertThat(row.get(3).asText()).isEqualTo("line 4");
            });
            assertThat(rows.at("/results/0/series/0/values")).hasSize(4);
        } finally {
            sink.deactivate();
        }
    }

    /**
     * Issue 18, fault 2: every PM500 field arrives with the type the contract's table gives — read back with
     * {@code SHOW FIELD KEYS} — even when a metric comes as an integer in one poll (Modbus) and as a REAL in the next
     * (EtherNet/IP), which InfluxDB would refuse as a type conflict if the encoder followed the reading's type.
     */
    @Test
    void everyContractFieldHasTheDocumentedTypeWhateverProtocolReadIt() throws Exception {
        InfluxSinkComponent sink = sink("fields");
        try {
            long seq = 1;
            Map<String, String> documented = new TreeMap<>();
            for (int poll = 0; poll < 2; poll++) {
                List<EnrichedReading> batch = new ArrayList<>();
                for (FieldContractTest.PublishedMetric m : FieldContractTest.pm500Metrics()) {
                    Value v = m.text() ? Value.of("PM5-7") : poll == 0 ? Value.of(7L) : Value.of(7.25);
                    batch.add(new EnrichedReading(seq++, "f1", "plant1", "line4", "feeder-f", m.id(), m.phase(),
                            m.unit(), v, Quality.GOOD, T.plusSeconds(poll), T));
                    documented.put(FieldNames.derive(m.id(), m.phase()).name(), m.text() ? "string" : "float");
                }
                sink.deliver(batch, false);
            }
            documented.put("quality", "integer");
            documented.put("seq", "integer");
            Map<String, String> stored = new TreeMap<>();
            influx.query("fields", "SHOW FIELD KEYS FROM powermonitor_500").at("/results/0/series/0/values")
                    .forEach(row -> stored.put(row.get(0).asText(), row.get(1).asText()));
            assertThat(stored).isEqualTo(documented);
        } finally {
            sink.deactivate();
        }
    }

    /**
     * Issue 18: delivery resumed 34–59 s after an InfluxDB restart, at the end of the pipeline's back-off. An
     * unreachable server is tried again every second (the sink says so with its retry-after), so the first try after
     * its return writes.
     */
    @Test
    void anUnreachableServerIsTriedEverySecondAndTheFirstTryAfterItsReturnWrites() throws Exception {
        try (InfluxDbProcess own = InfluxDbProcess.start()) {
            own.query(null, "CREATE DATABASE outage");
            InfluxSinkComponent sink = new InfluxSinkComponent(Configs.properties("api", "v1", "url", own.url(), "database",
                    "outage", "precision", "ns"));
            try {
                sink.deliver(Readings.sample(1, "o1", T), false);
                own.kill();
                assertThatThrownBy(() -> sink.deliver(Readings.sample(100, "o1", T.plusSeconds(1)), false))
                        .isInstanceOfSatisfying(SinkException.class, e -> {
                            assertThat(e.isRetriable()).isTrue();
                            assertThat(e.retryAfter()).as("tried again in").contains(Duration.ofSeconds(1));
                        }).hasMessageContaining("unreachable");
                own.run();
                sink.deliver(Readings.sample(100, "o1", T.plusSeconds(1)), false);
                assertThat(own.query("outage", "SELECT count(seq) FROM powermonitor_500")
                        .at("/results/0/series/0/values/0/1").asLong()).as("lines of both samples").isEqualTo(10);
            } finally {
                sink.deactivate();
            }
        }
    }

    /**
     * Issue 18, fault 4: a field type conflict is a partial write on InfluxDB 1.x — every line without the field is
     * stored. The refused readings are named (the pipeline dead-letters exactly them), the rest of the dropped lines
     * is written again, and nothing the server stored is sent again.
     */
    @Test
    void aTypeConflictRefusesExactlyTheConflictingReadingsAndTheRestIsWritten() throws Exception {
        InfluxSinkComponent sink = sink("conflict");
        try {
            sink.deliver(List.of(Readings.good(1, "c1", "serial", Phase.NONE, "", Value.of(7.5), T)), false);
            List<EnrichedReading> batch = new ArrayList<>(Readings.sample(10, "c1", T.plusSeconds(1)));
            batch.add(Readings.good(30, "c1", "serial", Phase.NONE, "", Value.of("PM5-0042"), T.plusSeconds(1)));
            batch.addAll(Readings.sample(40, "c2", T.plusSeconds(2)));
            batch.add(Readings.good(60, "c2", "serial", Phase.NONE, "", Value.of("PM5-0043"), T.plusSeconds(2)));
            assertThatThrownBy(() -> sink.deliver(batch, false)).isInstanceOfSatisfying(SinkException.class, e -> {
                assertThat(e.isRetriable()).isFalse();
                assertThat(e.refused()).extracting(EnrichedReading::sequence).containsExactlyInAnyOrder(30L, 60L);
            }).hasMessageContaining("field type conflict").hasMessageContaining("\"serial\"");
            JsonNode total = influx.query("conflict", "SELECT kW, frequency, serial FROM powermonitor_500 WHERE"
                    + " phase = 'total' AND time > '2026-11-27T10:15:30.5Z'");
            assertThat(total.at("/results/0/series/0/values")).as("the total lines of both samples, written again"
                    + " without the refused field").hasSize(2).allSatisfy(row -> {
                        assertThat(row.get(1).asDouble()).isEqualTo(9.75);
                        assertThat(row.get(3).isNull()).isTrue();
                    });
            assertThat(influx.query("conflict", "SELECT count(seq) FROM powermonitor_500 WHERE time >"
                    + " '2026-11-27T10:15:30.5Z'").at("/results/0/series/0/values/0/1").asLong())
                    .as("every line of both samples").isEqualTo(10);
        } finally {
            sink.deactivate();
        }
    }

    /**
     * Issue 18, fault 3: a Wh counter becomes kWh as the exact decimal, which the server stores as the nearest
     * double (Wh × 0.001 in floating point was off: 1.2345678901200001E8, 9.0E12). Exact to the Wh up to
     * 2^43 kWh (8.796 × 10^15 Wh).
     */
    @Test
    void whCountersArriveAsTheDoubleNearestTheExactKwh() throws Exception {
        InfluxSinkComponent sink = sink("energy");
        long[] counters = { 123_456_789_012L, 1L, 999L, 4_000_000_000_000_001L, 8_796_093_022_207_999L,
                8_999_999_999_999_999L };
        try {
            List<EnrichedReading> batch = new ArrayList<>();
            for (int i = 0; i < counters.length; i++) {
                batch.add(new EnrichedReading(i + 1, "e1", "plant1", "line4", "feeder-e", "energy.active.import.total",
                        Phase.TOTAL, "Wh", Value.of(counters[i]), Quality.GOOD, T.plusSeconds(i), T));
            }
            sink.deliver(batch, false);
            JsonNode rows = influx.query("energy", "SELECT kWh FROM powermonitor_500");
            List<Double> stored = new ArrayList<>();
            rows.at("/results/0/series/0/values").forEach(row -> stored.add(row.get(1).asDouble()));
            assertThat(stored).hasSize(counters.length);
            for (int i = 0; i < counters.length; i++) {
                StringBuilder exact = new StringBuilder();
                LineProtocol.shifted(counters[i], 3, exact);
                assertThat(stored.get(i)).as("%d Wh", counters[i]).isEqualTo(Double.parseDouble(exact.toString()));
                if (counters[i] < 8_796_093_022_208_000L) {
                    assertThat(new BigDecimal(stored.get(i)).movePointRight(3).setScale(0, RoundingMode.HALF_EVEN)
                            .longValueExact()).as("%d Wh read back to the Wh", counters[i]).isEqualTo(counters[i]);
                }
            }
        } finally {
            sink.deactivate();
        }
    }
}
