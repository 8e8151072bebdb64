package io.pm500.bench;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.demo.Historian;
import io.pm500.sink.influx.internal.InfluxSinkComponent;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lines per second the InfluxDB sink sustains into a real historian (QuestDB embedded on loopback, in this JVM), as
 * the pipeline drives it: one delivery thread, batches of whole samples. Each meter's sample is the default PM500
 * profile's real-time block (33 readings, 5 lines: L1, L2, L3, N, total).
 *
 * <p>Run: {@code java -cp pm500.bench/target/benchmarks.jar io.pm500.bench.InfluxThroughput [seconds] [meters…]};
 * {@code -Dgzip=false} sends uncompressed (the sink's default compresses), {@code -Dbatch=N} delivers N readings at a
 * time (default 5000).
 */
public final class InfluxThroughput {
    /** Readings per delivery: the route's batch size (its default is 500; historians want thousands). */
    private static final int READINGS_PER_BATCH = Integer.getInteger("batch", 5000);

    private InfluxThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<Integer> fleets = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            fleets.add(Integer.parseInt(args[i]));
        }
        if (fleets.isEmpty()) {
            fleets = List.of(50, 500);
        }
        Path dir = Files.createTempDirectory("pm500-influx-bench");
        try (Historian historian = Historian.start(dir, 0)) {
            for (String api : List.of("v2", "v1")) {
                for (int meters : fleets) {
                    run(historian, api, meters, seconds);
                }
            }
        }
    }

    private static void run(Historian historian, String api, int meters, int seconds) throws Exception {
        String table = "bench_" + api + "_" + meters + "_" + System.getProperty("gzip", "true") + "_"
                + READINGS_PER_BATCH;
        InfluxSinkComponent sink = new InfluxSinkComponent(Map.of(
                "sink.name", "bench", "api", api, "url", historian.url(), "bucket", "pm500", "database", "pm500",
                "measurement", table, "gzip", Boolean.parseBoolean(System.getProperty("gzip", "true"))));
        try {
            Fleet fleet = new Fleet(meters);
            long warmupEnd = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < warmupEnd) {
                sink.deliver(fleet.batch(), false);
            }
            long readings = 0;
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            long linesBefore = fleet.lines;
            while (System.nanoTime() < end) {
                List<EnrichedReading> batch = fleet.batch();
                sink.deliver(batch, false);
                readings += batch.size();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            long lines = fleet.lines - linesBefore;
            historian.awaitTable(table);
            long stored = count(historian, table);
            System.out.printf("api %s, gzip %s, batch %d, %4d meters: %,10.0f lines/s (%,10.0f readings/s) for %.0f s,"
                    + " %,d lines stored of %,d sent%n", api, System.getProperty("gzip", "true"), READINGS_PER_BATCH,
                    meters, lines / elapsed, readings / elapsed, elapsed, stored, fleet.lines);
        } finally {
            sink.deactivate();
        }
    }

    private static long count(Historian historian, String table) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(historian.url()
                + "/exec?query=" + URLEncoder.encode("select count() from " + table, StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString());
        String body = r.body();
        int at = body.indexOf("\"dataset\":[[");
        return Long.parseLong(body.substring(at + 12, body.indexOf(']', at)));
    }

    /** Samples of every meter in turn, one second apart per meter, as the pipeline would queue them. */
    private static final class Fleet {
        private final int meters;
        private long seq;
        private long second = Instant.parse("2026-11-27T00:00:00Z").getEpochSecond();
        private int next;
        long lines;

        Fleet(int meters) {
            this.meters = meters;
        }

        List<EnrichedReading> batch() {
            List<EnrichedReading> batch = new ArrayList<>(READINGS_PER_BATCH + 40);
            while (batch.size() < READINGS_PER_BATCH) {
                sample("meter-" + next, Instant.ofEpochSecond(second), batch);
                lines += 5;
                if (++next == meters) {
                    next = 0;
                    second++;
                }
            }
            return batch;
        }

        private void sample(String meter, Instant at, List<EnrichedReading> out) {
            String asset = "feeder-" + meter;
            String[] l = { "l1", "l2", "l3" };
            Phase[] p = { Phase.L1, Phase.L2, Phase.L3 };
            for (int i = 0; i < 3; i++) {
                out.add(r(meter, asset, "voltage." + l[i] + "n", p[i], "V", Value.of(230.0 + i + seq % 7), at));
                out.add(r(meter, asset, "current." + l[i], p[i], "A", Value.of(10.0 + i), at));
                out.add(r(meter, asset, "power.active." + l[i], p[i], "kW", Value.of(2.3 + i), at));
                out.add(r(meter, asset, "power.reactive." + l[i], p[i], "kvar", Value.of(0.4 + i), at));
                out.add(r(meter, asset, "power.apparent." + l[i], p[i], "kVA", Value.of(2.4 + i), at));
                out.add(r(meter, asset, "pf." + l[i], p[i], "", Value.of(0.96), at));
            }
            out.add(r(meter, asset, "current.n", Phase.N, "A", Value.of(0.3), at));
            out.add(r(meter, asset, "voltage.ln.avg", Phase.TOTAL, "V", Value.of(231.0), at));
            out.add(r(meter, asset, "voltage.l1l2", Phase.NONE, "V", Value.of(400.1), at));
            out.add(r(meter, asset, "voltage.l2l3", Phase.NONE, "V", Value.of(400.2), at));
            out.add(r(meter, asset, "voltage.l3l1", Phase.NONE, "V", Value.of(400.3), at));
            out.add(r(meter, asset, "voltage.ll.avg", Phase.TOTAL, "V", Value.of(400.2), at));
            out.add(r(meter, asset, "power.active.total", Phase.TOTAL, "kW", Value.of(9.9), at));
            out.add(r(meter, asset, "power.reactive.total", Phase.TOTAL, "kvar", Value.of(1.2), at));
            out.add(r(meter, asset, "power.apparent.total", Phase.TOTAL, "kVA", Value.of(10.1), at));
            out.add(r(meter, asset, "pf.total", Phase.TOTAL, "", Value.of(0.97), at));
            out.add(r(meter, asset, "frequency", Phase.NONE, "Hz", Value.of(50.0), at));
            out.add(r(meter, asset, "energy.active.import.total", Phase.TOTAL, "Wh", Value.of(123_456_000L + seq),
                    at));
            out.add(r(meter, asset, "energy.active.export.total", Phase.TOTAL, "Wh", Value.of(42L), at));
            out.add(r(meter, asset, "phase.sequence", Phase.NONE, "", Value.of(1L), at));
            out.add(r(meter, asset, "alarms.virtual", Phase.NONE, "", Value.of(0L), at));
        }

        private EnrichedReading r(String meter, String asset, String metric, Phase phase, String unit, Value v,
                Instant at) {
            return new EnrichedReading(++seq, meter, "plant1", "line4", asset, metric, phase, unit, v, Quality.GOOD,
                    at, at);
        }
    }
}
