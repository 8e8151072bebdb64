package io.pm500.driver.modbus.internal;

import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.driver.kit.MeterSchedule;
import io.pm500.testkit.pipeline.DriverEvents;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load program (not a test): the driver's own scheduler, queues and pollers against a running standalone
 * simulator, every meter's energy and status blocks at 1 s. Prints samples, missed cycles, CPU and threads.
 * {@code java -cp … io.pm500.driver.modbus.internal.ModbusDriverLoad <basePort> <meters> <seconds>}
 */
public final class ModbusDriverLoad {
    private ModbusDriverLoad() {
    }

    public static void main(String[] args) throws Exception {
        int base = Integer.parseInt(args[0]);
        int meters = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        DriverEvents consumer = new DriverEvents(
                s -> (s.status() == AcquisitionStatus.OK ? ok : failed).incrementAndGet());
        PollScheduler scheduler = new PollScheduler(ThreadsFixture.DEFAULTS.properties());
        List<MeterSchedule> schedules = new ArrayList<>();
        List<MeterPoller> pollers = new ArrayList<>();
        for (int m = 0; m < meters; m++) {
            MeterSettings settings = MeterSettings.of(
                    ConfigFixture.meter("m" + m, base + 2 * m, "energy=1000", "status=1000"));
            MeterPoller poller = new MeterPoller(settings, consumer, Clock.systemUTC());
            schedules.add(MeterSchedule.start(scheduler.threads(), settings.blocks().stream()
                    .map(b -> new MeterSchedule.Block(b.blockId(), b.intervalMillis(), () -> poller.poll(b)))
                    .toList(), poller::slow));
            pollers.add(poller);
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Thread.sleep(3000); // warm-up: connections, JIT
        long ok0 = ok.get();
        long cpu0 = os.getProcessCpuTime();
        long missed0 = schedules.stream().mapToLong(MeterSchedule::missed).sum();
        Thread.sleep(seconds * 1000L);
        long cpu = os.getProcessCpuTime() - cpu0;
        long missed = schedules.stream().mapToLong(MeterSchedule::missed).sum() - missed0;
        System.out.printf("meters=%d blocks/meter=2 interval=1s seconds=%d samples ok=%d (expected %d) failed=%d"
                + " missed cycles=%d driver CPU=%.2f s (%.1f %% of one core) threads=%d%n", meters, seconds,
                ok.get() - ok0, 2L * meters * seconds, failed.get(), missed, cpu / 1e9, 100.0 * cpu / 1e9 / seconds,
                Thread.activeCount());
        schedules.forEach(MeterSchedule::close);
        pollers.forEach(MeterPoller::close);
        scheduler.stop();
    }
}
