package io.pm500.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One reading of a Linux process's {@code /proc/<pid>/stat} and {@code status}: CPU time used so far (user + system,
 * all threads), resident memory and thread count.
 */
record ProcStat(long cpuMillis, long rssKb, int threads) {
    /** Clock ticks per second of {@code /proc/<pid>/stat}: 100 on every Linux the gateway runs on (USER_HZ). */
    private static final long TICKS_PER_SECOND = 100;

    static ProcStat of(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        long rss = 0;
        int threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        return new ProcStat(ticks * 1000 / TICKS_PER_SECOND, rss, threads);
    }
}
