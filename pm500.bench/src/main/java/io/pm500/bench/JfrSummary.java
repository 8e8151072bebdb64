package io.pm500.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording's CPU samples ({@code jdk.ExecutionSample}, Java code only) went: by thread, by the method on
 * top of the stack (self), and by component (inclusive: a sample counts once for each package prefix on its stack).
 * LoadRun prints it for {@code --jfr}; {@code java -cp benchmarks.jar io.pm500.bench.JfrSummary FILE.jfr} for any
 * recording.
 */
public final class JfrSummary {
    private static final int TOP = 15;
    /** Components as the profile named them, most specific first. */
    private static final List<String> COMPONENTS = List.of("org.eclipse.paho", "com.ghgande.j2mod",
            "org.eclipse.tahu", "com.google.protobuf", "io.pm500.driver", "io.pm500.enrich", "io.pm500.sink",
            "io.pm500.kit", "io.pm500.profile", "java.util.concurrent", "sun.nio", "java.io", "java.net");

    private JfrSummary() {
    }

    public static void main(String[] args) throws IOException {
        print(Path.of(args[0]), System.out);
    }

    static void print(Path recording, PrintStream out) throws IOException {
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!"jdk.ExecutionSample".equals(e.getEventType().getName()) || e.getStackTrace() == null) {
                continue;
            }
            samples++;
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            byThread.merge(thread == null ? "?" : thread.replaceAll("\\d+", "N"), 1, Integer::sum);
            RecordedStackTrace stack = e.getStackTrace();
            List<RecordedFrame> frames = stack.getFrames();
            if (!frames.isEmpty()) {
                self.merge(method(frames.get(0)), 1, Integer::sum);
            }
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String type = f.getMethod().getType().getName();
                COMPONENTS.stream().filter(type::startsWith).findFirst().ifPresent(seen::add);
            }
            seen.forEach(c -> inclusive.merge(c, 1, Integer::sum));
        }
        out.printf("JFR %s: %d CPU samples of Java code%n", recording, samples);
        top(out, "by thread", byThread, samples);
        top(out, "self (top frame)", self, samples);
        top(out, "inclusive by component", inclusive, samples);
    }

    private static void top(PrintStream out, String title, Map<String, Integer> counts, int total) {
        out.println("  " + title + ":");
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()))
                .limit(TOP).forEach(e -> out.printf("    %5.1f %%  %s%n", 100.0 * e.getValue() / Math.max(1, total),
                        e.getKey()));
    }

    private static String method(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}
