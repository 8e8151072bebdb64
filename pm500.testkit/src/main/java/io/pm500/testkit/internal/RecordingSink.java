package io.pm500.testkit.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * A sink that appends every delivered reading to a file, one line each:
 * {@code <sequence> <meterId> <metric> <value> <quality> <historical>}, integers exact. It can refuse deliveries (retriably) for
 * its first seconds, to play a destination that is down. Tests read the file; it is written before
 * {@link #deliver} returns.
 */
@Component(configurationPid = RecordingSink.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = RecordingSink.Config.class, factory = true)
public final class RecordingSink implements Sink {
    static final String PID = "pm500.testkit.sink";

    @ObjectClassDefinition(name = "PM500 test kit: recording sink")
    public @interface Config {
        @AttributeDefinition(name = "Sink name")
        String sink_name();

        @AttributeDefinition(name = "File", description = "Where delivered readings are appended.")
        String file();

        @AttributeDefinition(name = "Fail for (s)", description = "Refuse deliveries, retriably, for this long"
                + " after activation.")
        int failForSeconds() default 0;
    }

    private final FileChannel out;
    private final long failUntilNanos;

    @Activate
    public RecordingSink(Config config) throws IOException {
        out = FileChannel.open(Path.of(config.file()), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        failUntilNanos = System.nanoTime() + Duration.ofSeconds(config.failForSeconds()).toNanos();
    }

    @Deactivate
    void close() throws IOException {
        out.close();
    }

    /** Integers exactly (counters), reals as doubles, text as {@code text}, no value as {@code -}. */
    private static String value(Value v) {
        return v == null ? "-" : v instanceof Value.Int i ? Long.toString(i.value())
                : v.isNumeric() ? Double.toString(v.asDouble()) : "text";
    }

    @Override
    public void deliver(java.util.List<EnrichedReading> batch, boolean historical) throws SinkException {
        if (System.nanoTime() - failUntilNanos < 0) {
            throw SinkException.retriable("recording sink is playing a destination that is down", null);
        }
        StringBuilder lines = new StringBuilder(batch.size() * 48);
        for (EnrichedReading r : batch) {
            lines.append(r.sequence()).append(' ').append(r.meterId()).append(' ').append(r.metric()).append(' ')
                    .append(value(r.value())).append(' ').append(r.quality().code()).append(' ').append(historical)
                    .append('\n');
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            throw SinkException.retriable("recording sink cannot write: " + e.getMessage(), e);
        }
    }
}
