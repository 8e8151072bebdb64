package io.pm500.sink.influx.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.demo.Historian;
import io.pm500.testkit.process.HistorianSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Whatever the names and texts, a real line-protocol parser (QuestDB's) reads back what the sink meant. */
class RoundTripPropertyTest {
    private static Historian historian;
    private static HistorianSql sql;
    private static InfluxSinkComponent sink;
    private static final AtomicLong SEQ = new AtomicLong();

    @BeforeContainer
    static void start() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "roundtrip");
        historian = Historian.start(dir, 0);
        sql = new HistorianSql(historian.url());
        sink = new InfluxSinkComponent(Configs.properties("url", historian.url(), "bucket", "b", "measurement", "rt"));
    }

    @AfterContainer
    static void stop() {
        sink.deactivate();
        historian.close();
    }

    @Provide
    Arbitrary<String> names() {
        return LineProtocolPropertyTest.names().filter(s -> !s.isBlank());
    }

    @Property(tries = 40)
    void tagsAndTextSurviveTheDatabasesParser(@ForAll("names") String site, @ForAll("names") String asset,
            @ForAll("names") String text) throws Exception {
        long seq = SEQ.incrementAndGet();
        EnrichedReading r = new EnrichedReading(seq, "m1", site, "", asset, "serial", Phase.NONE, "", Value.of(text),
                Quality.GOOD, Instant.ofEpochMilli(1_795_774_530_000L + seq), Instant.EPOCH);
        sink.deliver(List.of(r), false);
        historian.awaitTable("rt");
        List<Map<String, Object>> rows = sql.query("select site, asset, serial from rt where seq = " + seq);
        assertThat(rows).containsExactly(Map.of("site", LineProtocolPropertyTest.flat(site), "asset",
                LineProtocolPropertyTest.flat(asset), "serial", LineProtocolPropertyTest.flat(text)));
    }
}
