package io.pm500.enrich.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pipeline's hot path with the built-in PM500 profile and its default derived metrics: an assembly 101 sample
 * (12 voltages and currents) becomes 14 readings. Scores are readings per second.
 * <ul>
 * <li>{@code enrich}: enrichment alone, one thread;</li>
 * <li>{@code enrichAndAppend}: the whole {@code SampleConsumer.accept}: enrichment, encoding and writing to every
 * sink's outbox log (forced to disk once a second), on 4 threads (the Modbus driver's I/O threads), with each
 * sink's courier draining its outbox into a sink that discards, on the same cores ({@code draining=true}), or
 * with no sink (the append alone);</li>
 * <li>{@code roundOneByOne} and {@code roundAtOnce}: a Modbus loop's round — {@value #ROUND} samples of as many meters
 * (a slot of the poll grid) — on one thread, given to {@code accept(Sample)} one by one (a write per sample and
 * outbox) or to {@code accept(List)} at once (a write per outbox).</li>
 * </ul>
 * {@code java -jar pm500.bench/target/benchmarks.jar Pipeline -prof gc}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PipelineBenchmark {
    static final int READINGS = 14;
    static final int ROUND = 50;
    private static final String[] DERIVED = { "voltage.unbalance=unbalance(voltage.l1n,voltage.l2n,voltage.l3n)",
            "current.unbalance=unbalance(current.l1,current.l2,current.l3)" };
    private static final String[] POINTS = { "voltage.l1n", "voltage.l2n", "voltage.l3n", "voltage.ln.avg",
            "voltage.l1l2", "voltage.l2l3", "voltage.l3l1", "voltage.ll.avg", "current.l1", "current.l2",
            "current.l3", "current.n" };

    static Enrichment enrichment() {
        return new Enrichment(EnrichSettings.of(3, new String[0], DERIVED), Map.of());
    }

    static Sample sample(String meterId, Instant at) {
        List<PointValue> points = new ArrayList<>();
        for (int i = 0; i < POINTS.length; i++) {
            points.add(new PointValue(POINTS[i], Value.of(i < 8 ? 230.0 + i : 100.0 + i)));
        }
        return Sample.ok(meterId, "assembly.101", at, points);
    }

    /** One meter per thread, as the drivers serialise each meter's polls. */
    @State(Scope.Thread)
    public static class Meter {
        private static final AtomicInteger IDS = new AtomicInteger();
        Sample sample;
        MeterModel model;

        @Setup
        public void setUp() throws ProfileException {
            sample = sample("meter-" + IDS.incrementAndGet(), Instant.parse("2026-11-27T10:00:00Z"));
            model = enrichment().model(sample.meterId(), DeviceProfiles.builtIn(DeviceProfiles.PM500));
        }
    }

    /**
     * A pipeline in a fresh directory with {@code sinks} routes, whose sinks either drain them (discarding) or are
     * absent (the outboxes only grow: the append alone).
     */
    @State(Scope.Benchmark)
    public static class Gateway {
        @Param({ "1", "3" })
        public int sinks;
        @Param({ "true", "false" })
        public boolean draining;
        Pipeline pipeline;
        Path dir;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("pm500-bench");
            pipeline = new Pipeline(dir, 1000, enrichment(), 4L << 30, Clock.systemUTC());
            Sink discard = (batch, historical) -> {
            };
            for (int i = 0; i < sinks; i++) {
                Route route = pipeline.routes().route("sink-" + i);
                if (draining) {
                    route.sink(discard);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            long queued = pipeline.routes().sinks().stream().mapToLong(s -> s.queuedBytes()).sum();
            pipeline.close();
            long onDisk;
            try (Stream<Path> files = Files.walk(dir)) {
                onDisk = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf("%n[outboxes: %d MB on disk, %d MB queued]%n", onDisk >> 20, queued >> 20);
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(READINGS)
    public List<EnrichedReading> enrich(Meter meter) {
        return Enricher.enrich(meter.model, meter.sample, false, meter.sample, new Enricher.Sequence(1, READINGS),
                Instant.now());
    }

    @Benchmark
    @Threads(4)
    @OperationsPerInvocation(READINGS)
    public void enrichAndAppend(Gateway gateway, Meter meter) {
        gateway.pipeline.accept(meter.sample);
    }

    /** A round's samples: {@value #ROUND} meters of their own. */
    @State(Scope.Thread)
    public static class Round {
        List<Sample> samples;

        @Setup
        public void setUp() {
            samples = new ArrayList<>();
            Instant at = Instant.parse("2026-11-27T10:00:00Z");
            for (int i = 0; i < ROUND; i++) {
                samples.add(sample("round-meter-" + Meter.IDS.incrementAndGet(), at));
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROUND * READINGS)
    public void roundOneByOne(Gateway gateway, Round round) {
        for (int i = 0; i < ROUND; i++) {
            gateway.pipeline.accept(round.samples.get(i));
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROUND * READINGS)
    public void roundAtOnce(Gateway gateway, Round round) {
        gateway.pipeline.accept(round.samples);
    }
}
