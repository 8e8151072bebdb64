package io.pm500.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.demo.SparkplugSubscriber.Received;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class SparkplugSubscriberTest {

    /**
     * Issue 23: a message is stamped when it arrives, not when the messages before it have been decoded and handed
     * on — the load program's latencies of a burst of DDATA included the subscriber's own decoding of the burst.
     * A consumer taking 100 ms per message still sees ten messages sent together stamped together, in order.
     */
    @Test
    void aBurstIsStampedAsItArrivesWhateverTheConsumerTakesAndStaysInOrder(@TempDir Path dir) throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0);
                SparkplugSubscriber slow = new SparkplugSubscriber(broker.uri(), "slow-consumer", r -> {
                    received.add(r);
                    try {
                        TimeUnit.MILLISECONDS.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                SparkplugSubscriber host = new SparkplugSubscriber(broker.uri(), "burst-host", r -> { })) {
            for (int i = 0; i < 10; i++) {
                host.publish("spBv1.0/STATE/scada", ("{\"online\":true,\"timestamp\":" + i + "}")
                        .getBytes(StandardCharsets.UTF_8), 1, false);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.size() < 10 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            assertThat(received).extracting(Received::text).containsExactly(
                    java.util.stream.IntStream.range(0, 10).mapToObj(i -> "{\"online\":true,\"timestamp\":" + i + "}")
                            .toArray(String[]::new));
            long first = received.get(0).receivedAtMillis();
            long last = received.get(9).receivedAtMillis();
            assertThat(last - first).as("ms between the first and the last stamp (decoded one by one: >= 900)")
                    .isLessThan(400);
        }
    }
}
