package io.pm500.testkit.internal;

import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.sample.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays a driver: hands the pipeline one sample after another, each with a {@code counter} point whose value is
 * unique across activations (ms since 2026 at the start × 10⁵ + n: below 2⁵³ for years, so a float field — InfluxDB,
 * JSON — holds it exactly), and appends each value to the acknowledgement file once
 * {@link SampleConsumer#accept} returned, that is, once the pipeline acknowledged it.
 */
@Component(configurationPid = Feeder.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {},
        immediate = true)
@Designate(ocd = Feeder.Config.class, factory = true)
public final class Feeder {
    static final String PID = "pm500.testkit.feeder";
    private static final Logger LOG = LoggerFactory.getLogger(Feeder.class);
    /** 2026-01-01T00:00:00Z in ms: counters count from there. */
    private static final long SINCE = 1_767_225_600_000L;

    @ObjectClassDefinition(name = "PM500 test kit: sample feeder")
    public @interface Config {
        @AttributeDefinition(name = "Meter id")
        String meterId();

        @AttributeDefinition(name = "Period (ms)")
        int periodMillis() default 10;

        @AttributeDefinition(name = "Acknowledgement file")
        String ackFile();
    }

    private final Thread thread;
    private volatile boolean running = true;

    @Activate
    public Feeder(Config config, @Reference SampleConsumer consumer) throws IOException {
        FileChannel acks = FileChannel.open(Path.of(config.ackFile()), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        long base = (System.currentTimeMillis() - SINCE) * 100_000L;
        thread = new Thread(() -> {
            try (acks) {
                for (long n = 1; running; n++) {
                    long value = base + n;
                    consumer.accept(Sample.ok(config.meterId(), "feed", Instant.now(),
                            List.of(new PointValue("counter", Value.of(value)))));
                    ByteBuffer line = ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII));
                    while (line.hasRemaining()) {
                        acks.write(line);
                    }
                    TimeUnit.MILLISECONDS.sleep(config.periodMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                LOG.error("Feeder {} stopped: {}", config.meterId(), e.toString());
            }
        }, "pm500-testkit-feeder");
        thread.start();
    }

    @Deactivate
    void stop() throws InterruptedException {
        running = false; // not interrupt(): that would close the acknowledgement file under the thread
        thread.join(5000);
    }
}
