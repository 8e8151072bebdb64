package io.pm500.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * One reading of a Linux process's {@code /proc/<pid>/stat} and {@code status}: CPU time used so far (user + system,
 * all threads), resident memory and thread count.
 */
record ProcStat(long cpuMillis, long rssKb, int threads) {
    /** Clock ticks per second of {@code /proc/<pid>/stat}: 100 on every Linux the gateway runs on (USER_HZ). */
    private static final long TICKS_PER_SECOND = 100;

    static ProcStat of(long pid) throws IOException {
        long ticks = ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
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

    /**
     * CPU time (ms, user + system) used so far by each kind of thread: threads named alike but for their numbers
     * ({@code pm500-modbus-io-1}, {@code -2} …; Linux keeps a thread's first 15 characters) are summed.
     */
    static Map<String, Long> byThread(long pid) throws IOException {
        Map<String, Long> cpu = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException e) {
                    continue; // the thread ended
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
                cpu.merge(name, ticks(stat) * 1000 / TICKS_PER_SECOND, Long::sum);
            }
        }
        return cpu;
    }

    /** utime + stime of a {@code stat} line: fields 14 and 15, counted after the command name (it may hold spaces). */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
