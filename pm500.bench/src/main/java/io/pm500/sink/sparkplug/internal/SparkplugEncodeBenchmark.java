package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterAsset;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The Sparkplug sink's per-poll encode, without a broker: one meter's 30 readings into a DDATA ({@code ddata}, the
 * edge node's own path), and Tahu's encoder on a 30-metric payload as Tahu's own model makes it ({@code tahuPlain},
 * whose {@code toString} Tahu calls for a DEBUG message even when DEBUG is off) and with the cheap {@code toString}
 * the sink uses ({@code tahuQuiet}). {@code java -jar pm500.bench/target/benchmarks.jar SparkplugEncode -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SparkplugEncodeBenchmark {
    private static final int METRICS = 30;
    private static final Instant T = Instant.parse("2026-12-02T10:00:00Z");
    private final SparkplugBPayloadEncoder encoder = new SparkplugBPayloadEncoder();
    private NodeMessages node;
    private Blackhole sink;
    private long tick;
    private List<Metric> metrics;

    /** A payload as the sink makes it: its toString does not format the metrics. */
    static final class Quiet extends SparkplugBPayload {
        Quiet(Date timestamp, List<Metric> metrics, Long seq) {
            super(timestamp, metrics, seq);
        }

        @Override
        public String toString() {
            return "payload";
        }
    }

    @Setup
    public void setUp(Blackhole bh) throws Exception {
        sink = bh;
        SparkplugSettings s = new SparkplugSettings("bench", "pm500", "bench", List.of("tcp://127.0.0.1:1"),
                "bench", "", null, null, null, null, "", 30, 5, 60_000, 0, false);
        MeterCatalog none = new MeterCatalog() {
            @Override
            public List<String> meterIds() {
                return List.of();
            }

            @Override
            public List<MeterAsset> assets() {
                return List.of();
            }

            @Override
            public List<MetricInfo> metrics(String meterId) {
                return List.of();
            }

            @Override
            public List<EnrichedReading> newest(String meterId) {
                return List.of();
            }
        };
        node = new NodeMessages(s, none, () -> NodeHealth.NONE, (topic, payload) -> sink.consume(payload), () -> { });
        node.birth(1);
        node.batch(readings(), false); // the device's birth
        metrics = new ArrayList<>();
        for (int i = 0; i < METRICS; i++) {
            metrics.add(new Metric.MetricBuilder((long) i, MetricDataType.Double, 230.0 + i).createMetric());
        }
    }

    private List<EnrichedReading> readings() {
        Instant at = T.plusMillis(++tick * 1000);
        List<EnrichedReading> out = new ArrayList<>(METRICS);
        for (int i = 0; i < METRICS; i++) {
            out.add(new EnrichedReading(tick * METRICS + i, "meter-1", "site", "area", "feeder-1", "metric." + i,
                    Phase.NONE, "V", Value.of(230.0 + (tick + i) % 7), Quality.GOOD, at, at));
        }
        return out;
    }

    @Benchmark
    public void ddata() throws Exception {
        node.batch(readings(), false);
    }

    @Benchmark
    public byte[] tahuPlain() throws Exception {
        return encoder.getBytes(new SparkplugBPayload(new Date(), metrics, 1L), false);
    }

    @Benchmark
    public byte[] tahuQuiet() throws Exception {
        return encoder.getBytes(new Quiet(new Date(), metrics, 1L), false);
    }
}
