package io.pm500.driver.cip.internal;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.driver.kit.MeterSchedule;
import io.pm500.testkit.pipeline.DriverEvents;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load program (not a test): the driver's own threads, queues and pollers against a running standalone
 * simulator, every meter with the default blocks (assemblies 101, 102, 108 at 1 s, 107 at 5 s, 100 once). Prints
 * samples, missed cycles, CPU, threads and the poll round trip (p50, p99, max).
 * {@code java -cp … io.pm500.driver.cip.internal.CipDriverLoad <basePort> <meters> <seconds> <connected|unconnected>}
 */
public final class CipDriverLoad {
    private CipDriverLoad() {
    }

    public static void main(String[] args) throws Exception {
        int base = Integer.parseInt(args[0]);
        int meters = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        String messaging = args[3];
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        DriverEvents consumer = new DriverEvents(
                s -> (s.status() == AcquisitionStatus.OK ? ok : failed).incrementAndGet());
        long[] roundTrips = new long[meters * seconds * 5 + 100_000];
        AtomicInteger recorded = new AtomicInteger();
        AtomicInteger measuring = new AtomicInteger();
        CipThreads threads = new CipThreads();
        List<MeterSchedule> schedules = new ArrayList<>();
        List<CipPoller> pollers = new ArrayList<>();
        for (int m = 0; m < meters; m++) {
            CipSettings settings = CipSettings.of(CipConfigFixture.meter("m" + m, base + 2 * m + 1, messaging,
                    "assembly.100=0", "assembly.101=1000", "assembly.102=1000", "assembly.107=5000",
                    "assembly.108=1000"));
            CipPoller poller = new CipPoller(settings, consumer, threads,
                    new Originator(Originator.DEFAULT_VENDOR_ID, 0x5EED), new IoPort("127.0.0.1", 0),
                    Clock.systemUTC());
            schedules.add(MeterSchedule.start(threads.poll(), settings.blocks().stream()
                    .map(b -> new MeterSchedule.Block(b.blockId(), b.intervalMillis(), () -> {
                        long t0 = System.nanoTime();
                        poller.poll(b);
                        long rtt = System.nanoTime() - t0;
                        if (measuring.get() == 1 && b.intervalMillis() != 0) {
                            int i = recorded.getAndIncrement();
                            if (i < roundTrips.length) {
                                roundTrips[i] = rtt;
                            }
                        }
                    })).toList(), poller::slow, settings.endpoint()));
            pollers.add(poller);
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Thread.sleep(6000); // warm-up: sessions, connections, JIT
        long ok0 = ok.get();
        long failed0 = failed.get();
        long cpu0 = os.getProcessCpuTime();
        long missed0 = schedules.stream().mapToLong(MeterSchedule::missed).sum();
        measuring.set(1);
        Thread.sleep(seconds * 1000L);
        measuring.set(0);
        long cpu = os.getProcessCpuTime() - cpu0;
        long missed = schedules.stream().mapToLong(MeterSchedule::missed).sum() - missed0;
        long[] rtt = Arrays.copyOf(roundTrips, Math.min(recorded.get(), roundTrips.length));
        Arrays.sort(rtt);
        System.out.printf("meters=%d messaging=%s seconds=%d samples ok=%d (expected %d) failed=%d missed cycles=%d"
                + " driver CPU=%.2f s (%.1f %% of one core) threads=%d round trip p50=%.2f ms p99=%.2f ms"
                + " max=%.2f ms (%d polls)%n", meters, messaging, seconds, ok.get() - ok0,
                (3L * seconds + seconds / 5) * meters, failed.get() - failed0, missed, cpu / 1e9,
                100.0 * cpu / 1e9 / seconds, Thread.activeCount(), rtt[rtt.length / 2] / 1e6,
                rtt[(int) (rtt.length * 0.99)] / 1e6, rtt[rtt.length - 1] / 1e6, rtt.length);
        schedules.forEach(MeterSchedule::close);
        pollers.forEach(CipPoller::close);
        threads.stop();
    }
}
