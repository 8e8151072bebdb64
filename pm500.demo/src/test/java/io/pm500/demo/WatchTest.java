package io.pm500.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./pm500 watch} outlives a broker restart (issue 17: it used to stop printing for good). */
@Tag("slow")
class WatchTest {

    @Test
    void theWatcherSubscribesAgainAfterTheBrokerRestarts(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        CountDownLatch stop = new CountDownLatch(1);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0)) {
            Thread watcher = new Thread(() -> {
                try {
                    Watch.print(broker.uri(), out, stop);
                } catch (Exception e) {
                    out.println("watcher failed: " + e);
                }
            }, "watch-test");
            watcher.start();
            try {
                await(printed, "Watching spBv1.0/#", 1);
                state(broker, 1);
                await(printed, "\"timestamp\":1}", 1);

                broker.stop();
                await(printed, "Lost the connection to " + broker.uri(), 1);
                broker.start();
                await(printed, "Watching spBv1.0/#", 2);
                state(broker, 2);
                await(printed, "\"timestamp\":2}", 1);
            } finally {
                stop.countDown();
                watcher.join(10_000);
            }
            assertThat(watcher.isAlive()).as("the watcher ends when told").isFalse();
        }
    }

    private static void state(EmbeddedBroker broker, long timestamp) throws Exception {
        try (SparkplugSubscriber host = new SparkplugSubscriber(broker.uri(), "watch-test-host", r -> { })) {
            host.publish("spBv1.0/STATE/scada", ("{\"online\":true,\"timestamp\":" + timestamp + "}")
                    .getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(5000);
        }
    }

    private static void await(ByteArrayOutputStream printed, String text, int times) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (count(printed.toString(StandardCharsets.UTF_8), text) < times) {
            if (System.nanoTime() > deadline) {
                fail("not printed " + times + "x within 30 s: " + text + "\nprinted:\n" + printed);
            }
            Thread.sleep(50);
        }
    }

    private static int count(String s, String text) {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }
}
