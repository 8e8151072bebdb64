package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the gateway with SIGKILL while readings wait in an outbox, restarts it, and checks that every reading the
 * pipeline acknowledged before the kill is delivered. The test kit bundle (in {@code deploy/}) plays the driver
 * (its feeder logs each value once {@code accept} returned) and, after the restart, the sink.
 */
class GatewayCrashIT {
    private static final Pattern STARTED = Pattern.compile("(PM500 gateway \\S+ started)");

    @TempDir
    Path home;
    private GatewayProcess gateway;

    @AfterEach
    void stop() throws InterruptedException {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void nothingAcknowledgedIsLostWhenTheProcessIsKilled() throws Exception {
        gateway = new GatewayProcess(home);
        gateway.deployTestkit();
        Path acks = home.resolve("acks.txt");
        Path received = home.resolve("received.txt");
        // an outbox for sink "historian", which is not there yet: readings pile up on disk
        Files.writeString(home.resolve("conf/pm500.route-historian.cfg"), "sinkName=historian\n");
        Files.writeString(home.resolve("conf/pm500.testkit.feeder-crash.cfg"),
                "meterId=crash-meter\nperiodMillis=1\nackFile=" + acks + "\n");

        gateway.launch(GatewayProcess.freePort());
        gateway.await(STARTED, Duration.ofSeconds(60));
        awaitLines(acks, 3000, Duration.ofSeconds(60));
        gateway.kill();
        Set<Long> acknowledged = values(acks);
        System.out.printf("gateway crash: %d samples acknowledged before SIGKILL%n", acknowledged.size());

        Files.writeString(home.resolve("conf/pm500.testkit.sink-historian.cfg"),
                "sink.name=historian\nfile=" + received + "\n");
        gateway.launch(GatewayProcess.freePort());
        gateway.await(STARTED, Duration.ofSeconds(60));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Set<Long> missing;
        do {
            Thread.sleep(200);
            missing = new HashSet<>(acknowledged);
            missing.removeAll(counters(received));
        } while (!missing.isEmpty() && System.nanoTime() < deadline);
        assertThat(missing).as("acknowledged before the kill but never delivered (of %d)", acknowledged.size())
                .isEmpty();
        assertThat(gateway.output()).noneMatch(l -> l.contains("ERROR") && l.contains("outbox"));
    }

    private static void awaitLines(Path file, int lines, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(file) || Files.readAllLines(file).size() < lines) {
            assertThat(System.nanoTime()).as("%d lines in %s", lines, file).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** The complete lines of the acknowledgement file (the kill may have cut the last one). */
    private static Set<Long> values(Path acks) throws Exception {
        String text = Files.readString(acks);
        List<String> lines = Arrays.asList(text.substring(0, text.lastIndexOf('\n') + 1).split("\n"));
        Set<Long> values = new HashSet<>();
        lines.stream().filter(l -> !l.isEmpty()).forEach(l -> values.add(Long.parseLong(l)));
        return values;
    }

    /** The counter values the recording sink got: lines {@code <seq> crash-meter counter <value> …}. */
    private static Set<Long> counters(Path received) throws Exception {
        Set<Long> values = new HashSet<>();
        if (Files.exists(received)) {
            for (String line : Files.readAllLines(received)) {
                String[] f = line.split(" ");
                if (f.length >= 4 && f[2].equals("counter") && !f[3].equals("-")) {
                    values.add(Long.parseLong(f[3]));
                }
            }
        }
        return values;
    }
}
