package io.pm500.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pm500.demo.SparkplugSubscriber;
import io.pm500.profile.DeviceProfiles;
import io.pm500.simulator.Simulator;
import io.pm500.testkit.process.InfluxDbProcess;
import io.pm500.testkit.process.MosquittoProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The end-to-end load program (docs/performance.md): for each fleet size N, N simulated meters, Mosquitto, InfluxDB
 * 1.x, the gateway as a process started by its launcher with its default Java options and a generated
 * configuration, and a Sparkplug subscriber; it prints the gateway's CPU (% of one core and ms per poll, from
 * {@code /proc}), resident memory, threads, the share of polls delivered to the broker and to the historian, the
 * latency from acquisition to the subscriber, the heap's live set after a full collection, the start-up time to the
 * console and the time from writing the meters' configuration files to every meter's first data; with
 * {@code --replay}, how fast a backlog drains after an outage of the broker and the historian ({@link Replay}).
 *
 * <p>{@code java -cp pm500.bench/target/benchmarks.jar io.pm500.bench.LoadRun [--meters 50,500,2000,5000]
 * [--seconds 60] [--warm-up 20] [--protocol modbus|cip] [--interval 1000] [--gateway DIR] [--jfr]
 * [--route KEY=VALUE]… [--replay SECONDS] [-- JAVA_OPTS…]}
 * ({@code ./pm500 bench …} runs it with a raised open-files limit).
 */
public final class LoadRun {
    private static final String GROUP = "bench";

    private LoadRun() {
    }

    /** @param routeOptions extra settings of the Sparkplug route ({@code --route key=value}) */
    record Options(int[] fleets, int seconds, int warmUp, String protocol, int intervalMillis, Path gateway,
            boolean jfr, List<String> routeOptions, List<String> javaOptions, int replaySeconds) {
    }

    record Result(int meters, long startMillis, long configToPollingMillis, long configToSettledMillis,
            double cpuPercent, double cpuMsPerPoll,
            long rssMeanMb, long rssEndMb, long liveHeapMb, long metaspaceMb, int threads, double deliveredPercent,
            double historianPercent, Delivery.Latency latency, String cpuByThread, Replay.Result replay) {
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        System.out.printf("LoadRun: %s meters polled every %d ms (%s), %d s measured after %d s warm-up;"
                + " gateway %s%s%n",
                Arrays.toString(o.fleets()), o.intervalMillis(), o.protocol(), o.seconds(), o.warmUp(), o.gateway(),
                o.javaOptions().isEmpty() ? "" : " with " + String.join(" ", o.javaOptions()));
        System.out.println("| meters | start-up to console ms | config to polling ms | config to settled ms"
                + " | CPU % of a core | CPU ms/poll | RSS MB mean / end | live heap / metaspace MB | threads"
                + " | delivered % broker / historian | latency ms p50 / p99 / max |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        List<Result> results = new ArrayList<>();
        for (int n : o.fleets()) {
            Result r = run(o, n);
            results.add(r);
            System.out.printf("| %d | %d | %d | %d | %.1f | %.3f | %d / %d | %d / %d | %d | %.2f / %.2f | %d / %d / %d"
                    + " |%n", r.meters(), r.startMillis(), r.configToPollingMillis(), r.configToSettledMillis(),
                    r.cpuPercent(), r.cpuMsPerPoll(),
                    r.rssMeanMb(), r.rssEndMb(), r.liveHeapMb(), r.metaspaceMb(), r.threads(),
                    r.deliveredPercent(), r.historianPercent(), r.latency().p50(),
                    r.latency().p99(), r.latency().max());
        }
        System.out.println();
        for (Result r : results) {
            System.out.println(r.meters() + " meters, CPU by thread (kernel work for it included):" + r.cpuByThread());
        }
        if (o.replaySeconds() > 0) {
            System.out.println();
            System.out.println("| meters | outage s | polls acquired meanwhile | to the broker: polls, first after ms,"
                    + " polls/s | to the historian: rows, first acknowledged write after ms, polls/s"
                    + " | live latency ms meanwhile p50 / p99 / max | delivery thread CPU µs per poll Sparkplug /"
                    + " historian |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (Result r : results) {
                Replay.Result p = r.replay();
                System.out.printf("| %d | %d | %d | %d, %d, %.0f | %d, %d, %.0f | %d / %d / %d | %.1f / %.1f |%n",
                        r.meters(), p.outageSeconds(), p.backlog(), p.toBroker(), p.brokerFirstMillis(),
                        p.brokerPerSecond(), p.toHistorian(), p.historianFirstMillis(), p.historianPerSecond(),
                        p.live().p50(), p.live().p99(), p.live().max(), p.brokerCourierMicros(),
                        p.historianCourierMicros());
            }
        }
    }

    static Result run(Options o, int meters) throws Exception {
        Path home = Files.createTempDirectory("pm500-load-" + meters + "-");
        // only the protocol measured: at 5,000 meters both would need more sockets than this container allows
        try (Simulator simulator = new Simulator(DeviceProfiles.builtIn(DeviceProfiles.PM500), meters, "127.0.0.1", 0,
                1, System::nanoTime, EnumSet.of(o.protocol().equals("cip") ? Simulator.Protocol.ETHERNET_IP
                        : Simulator.Protocol.MODBUS));
                MosquittoProcess broker = MosquittoProcess.start();
                InfluxDbProcess influx = InfluxDbProcess.start()) {
            influx.query(null, "CREATE DATABASE pm500");
            Files.createDirectories(home.resolve("conf"));
            writeSinks(home.resolve("conf"), broker.uri(), influx.url(), meters, o.routeOptions());
            List<String> javaOptions = new ArrayList<>(o.javaOptions());
            if (o.jfr()) {
                javaOptions.add("-XX:StartFlightRecording=settings=profile,filename=" + home.resolve("gateway.jfr")
                        + ",delay=" + o.warmUp() + "s,duration=" + o.seconds() + "s");
            }
            Delivery delivery = new Delivery();
            try (SparkplugSubscriber subscriber = new SparkplugSubscriber(broker.uri(), "pm500-load", delivery);
                    GatewayUnderTest gateway = GatewayUnderTest.start(o.gateway(), home, javaOptions)) {
                long startMillis = gateway.awaitConsole(Duration.ofSeconds(60));
                awaitSettled(gateway, Duration.ofSeconds(Math.max(120, meters / 10))); // the sinks and assets
                long configured = System.currentTimeMillis();
                for (int i = 0; i < meters; i++) {
                    gateway.configure(driverPid(o.protocol()) + "-m" + i, driver(o, simulator, i));
                }
                long allPolling = awaitPolling(delivery, meters, gateway,
                        Duration.ofSeconds(Math.max(120, meters / 10)));
                long settled = awaitSettled(gateway, Duration.ofSeconds(Math.max(120, meters / 10)));
                TimeUnit.SECONDS.sleep(o.warmUp());
                long from = System.currentTimeMillis();
                delivery.window(from, o.seconds() * 1000L);
                ProcStat before = ProcStat.of(gateway.pid());
                Map<String, Long> threadsBefore = ProcStat.byThread(gateway.pid());
                long rssSum = 0;
                ProcStat last = before;
                for (int s = 0; s < o.seconds(); s++) {
                    TimeUnit.MILLISECONDS.sleep(from + (s + 1) * 1000L - System.currentTimeMillis());
                    last = ProcStat.of(gateway.pid());
                    rssSum += last.rssKb();
                }
                long cpuMillis = last.cpuMillis() - before.cpuMillis();
                String cpuByThread = byThread(threadsBefore, ProcStat.byThread(gateway.pid()), cpuMillis);
                TimeUnit.SECONDS.sleep(3); // what was acquired in the window and is still on its way
                Delivery.Latency latency = delivery.latency();
                long expected = (long) meters * o.seconds() * 1000 / o.intervalMillis();
                TimeUnit.SECONDS.sleep(2); // the route flushes every second
                long historian = historianRows(influx, from, from + o.seconds() * 1000L);
                long[] live = gateway.liveHeapAndMetaspaceMb();
                Replay.Result replay = o.replaySeconds() > 0
                        ? Replay.run(o.replaySeconds(), meters, o.intervalMillis(), broker, influx, gateway)
                        : null;
                if (o.jfr()) {
                    TimeUnit.SECONDS.sleep(2); // the recording ends with the window and is written then
                    JfrSummary.print(home.resolve("gateway.jfr"), System.out);
                }
                Result result = new Result(meters, startMillis, allPolling - configured, settled - configured,
                        cpuMillis / (o.seconds() * 10.0), latency.messages() == 0 ? 0
                                : cpuMillis / (double) latency.messages(),
                        rssSum / o.seconds() / 1024, last.rssKb() / 1024, live[0], live[1], last.threads(),
                        100.0 * latency.messages() / expected, 100.0 * historian / expected, latency, cpuByThread,
                        replay);
                gateway.close();
                deleteTree(home); // kept when the run fails, for its logs
                return result;
            }
        }
    }

    /** Where the window's CPU went, by kind of thread (kernel time on a thread's behalf included). */
    private static String byThread(Map<String, Long> before, Map<String, Long> after, long cpuMillis) {
        StringBuilder line = new StringBuilder();
        after.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
                .forEach(e -> line.append(String.format(" %s %.0f %%;", e.getKey(),
                        100.0 * e.getValue() / Math.max(1, cpuMillis))));
        return line.toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Sparkplug B without report by exception (every poll published) and InfluxDB 1.x, as in docs/performance.md. */
    private static void writeSinks(Path conf, String brokerUri, String influxUrl, int meters, List<String> route)
            throws Exception {
        write(conf, "pm500.sink.sparkplug-load", "sink.name=sparkplug", "groupId=" + GROUP, "edgeNodeId=load",
                "brokerUris=" + brokerUri);
        List<String> sparkplugRoute = new ArrayList<>(List.of("sinkName=sparkplug", "reportByException=false"));
        sparkplugRoute.addAll(route);
        write(conf, "pm500.route-sparkplug", sparkplugRoute.toArray(String[]::new));
        write(conf, "pm500.sink.influx-load", "sink.name=influx", "api=v1", "url=" + influxUrl, "database=pm500");
        write(conf, "pm500.route-influx", "sinkName=influx", "batchSize=5000", "catchUpBatchSize=50000",
                "flushIntervalMillis=1000");
        for (int i = 0; i < meters; i++) {
            write(conf, "pm500.asset-m" + i, "meterId=m" + i, "site=load", "area=hall" + i / 100, "asset=feeder-" + i);
        }
    }

    private static String driverPid(String protocol) {
        return "modbus".equals(protocol) ? "pm500.driver.modbus" : "pm500.driver.cip";
    }

    /** One meter's driver configuration: one block of about 30 registers (36) polled at the interval. */
    private static String[] driver(Options o, Simulator simulator, int i) {
        if ("modbus".equals(o.protocol())) {
            return new String[] { "meterId=m" + i, "host=127.0.0.1", "port=" + simulator.modbusPort(i),
                "profile=pm500", "blockIntervals=info=0,energy=" + o.intervalMillis() };
        }
        return new String[] { "meterId=m" + i, "host=127.0.0.1", "port=" + simulator.enipPort(i), "profile=pm500",
            "blockIntervals=assembly.100=0,assembly.101=" + o.intervalMillis() };
    }

    private static long awaitPolling(Delivery delivery, int meters, GatewayUnderTest gateway, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long at;
        while ((at = delivery.allPollingAtMillis(meters)) == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(delivery.devicesPolling() + " of " + meters + " meters sent data"
                        + " within " + timeout.toSeconds() + " s; see the gateway's log in "
                        + gateway.conf().getParent());
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return at;
    }

    /**
     * Waits until the threads that apply configuration (Config Admin's event thread, where Declarative Services
     * activates components; the audit log; the asset registry) have had nothing to do for 3 s: a window must not
     * measure configuration still being applied. Returns when they last worked (epoch ms).
     */
    private static long awaitSettled(GatewayUnderTest gateway, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long before = configurationCpuMillis(gateway);
        long lastBusy = System.currentTimeMillis();
        while (System.currentTimeMillis() - lastBusy < 3000) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the gateway was still applying configuration after "
                        + timeout.toSeconds() + " s; see its log in " + gateway.conf().getParent());
            }
            TimeUnit.SECONDS.sleep(1);
            long now = configurationCpuMillis(gateway);
            if (now - before > 20) {
                lastBusy = System.currentTimeMillis();
            }
            before = now;
        }
        return lastBusy;
    }

    private static long configurationCpuMillis(GatewayUnderTest gateway) throws IOException {
        return ProcStat.byThread(gateway.pid()).entrySet().stream()
                // Config Admin's event and update threads (the latter hands meters and assets to their factories),
                // the conf/ loader, the audit log and the pipeline's asset registry (names as /proc cuts them)
                .filter(e -> e.getKey().startsWith("CM ") || e.getKey().startsWith("pmN-audit")
                        || e.getKey().startsWith("pmN-pipeline-") || e.getKey().startsWith("pmN-conf"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Polls (rows of phase {@code total}) in the historian acquired from {@code fromMillis} until {@code toMillis}. */
    static long historianRows(InfluxDbProcess influx, long fromMillis, long toMillis) throws Exception {
        JsonNode answer = influx.query("pm500", "SELECT count(*) FROM powermonitor_500 WHERE phase = 'total'"
                + " AND time >= '" + Instant.ofEpochMilli(fromMillis) + "' AND time < '"
                + Instant.ofEpochMilli(toMillis) + "'");
        long rows = 0;
        for (JsonNode value : answer.path("results").path(0).path("series").path(0).path("values").path(0)) {
            if (value.isNumber()) {
                rows = Math.max(rows, value.asLong());
            }
        }
        return rows;
    }

    private static void write(Path conf, String name, String... lines) throws Exception {
        Files.write(conf.resolve(name + ".cfg"), List.of(lines));
    }

    static Options parse(String[] args) {
        int[] fleets = { 50, 500, 2000, 5000 };
        int seconds = 60;
        int warmUp = 20;
        String protocol = "modbus";
        int interval = 1000;
        Path gateway = Path.of("pm500.runtime/target/gateway");
        boolean jfr = false;
        List<String> route = new ArrayList<>();
        List<String> javaOptions = new ArrayList<>();
        int replay = 0;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--meters" -> fleets = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--warm-up" -> warmUp = Integer.parseInt(value);
                case "--protocol" -> protocol = value;
                case "--interval" -> interval = Integer.parseInt(value);
                case "--gateway" -> gateway = Path.of(value);
                case "--route" -> route.add(value);
                case "--replay" -> replay = Integer.parseInt(value);
                case "--jfr" -> {
                    jfr = true;
                    i--;
                }
                case "--" -> {
                    javaOptions.addAll(List.of(args).subList(i + 1, args.length));
                    i = args.length;
                }
                default -> throw new IllegalArgumentException("LoadRun: unknown option " + args[i]
                        + "; see the class comment or docs/performance.md");
            }
            i++;
        }
        if (!List.of("modbus", "cip").contains(protocol) || seconds < 1 || interval < 50) {
            throw new IllegalArgumentException("LoadRun: --protocol is modbus or cip, --seconds at least 1, --interval"
                    + " at least 50 ms");
        }
        return new Options(fleets, seconds, warmUp, protocol, interval, gateway.toAbsolutePath(), jfr, route,
                javaOptions, replay);
    }
}
