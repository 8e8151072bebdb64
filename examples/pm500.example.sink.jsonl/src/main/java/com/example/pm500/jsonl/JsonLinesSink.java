package com.example.pm500.jsonl;

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
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Appends every reading to a file, one JSON object per line, and confirms a batch only once it is on the disk.
 * One configuration ({@code pm500.example.sink.jsonl~<name>}) per file. The gateway calls {@link #deliver} from one
 * thread per sink and keeps the batch in the sink's outbox until it returns; so this sink only has to be synchronous
 * and honest: return when written, throw when not.
 */
@Component(configurationPid = JsonLinesSink.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Sink.class)
@Designate(ocd = JsonLinesSink.Config.class, factory = true)
public final class JsonLinesSink implements Sink {
    static final String PID = "pm500.example.sink.jsonl";

    @ObjectClassDefinition(name = "Example sink: JSON lines file", description = "Appends every reading to a file,"
            + " one JSON object per line.")
    @interface Config {
        @AttributeDefinition(name = "Sink name", description = "Names the sink's outbox and route; keep it stable.")
        String sink_name() default "jsonl";

        @AttributeDefinition(name = "File", description = "The file to append to (made when missing).")
        String file();

        String webconsole_configurationFactory_nameHint() default "JSON lines sink {sink.name} → {file}";
    }

    private volatile String name;
    private volatile Path file;

    @Activate
    @Modified
    void configure(Config config) {
        // the gateway's own check, so a bad name is refused here, with the rule, and not later by the pipeline
        name = Sink.checkName(config.sink_name(), PID + ": sink.name");
        if (config.file() == null || config.file().isBlank()) {
            throw new IllegalArgumentException(PID + " '" + name + "': set file to the path to append to");
        }
        file = Path.of(config.file()).toAbsolutePath();
    }

    @Override
    public void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        StringBuilder lines = new StringBuilder(batch.size() * 200);
        for (EnrichedReading r : batch) {
            lines.append("{\"sequence\":").append(r.sequence());
            field(lines, "meterId", r.meterId());
            field(lines, "asset", r.asset());
            field(lines, "metric", r.metric());
            lines.append(",\"value\":");
            value(lines, r.value());
            field(lines, "unit", r.unit());
            field(lines, "quality", r.quality().name());
            field(lines, "acquiredAt", r.acquiredAt().toString());
            lines.append(",\"historical\":").append(historical).append("}\n");
        }
        Path target = file;
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer bytes = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(false); // confirmed means on the disk: the gateway deletes the batch from its outbox next
        } catch (IOException e) {
            // a full disk or a missing directory may be fixed: the gateway keeps the batch and retries
            throw SinkException.retriable("sink '" + name + "': cannot append to " + target + ": " + e, e);
        }
    }

    private static void value(StringBuilder out, Value v) {
        if (v instanceof Value.Int i) {
            out.append(i.value());
        } else if (v instanceof Value.Real d && Double.isFinite(d.value())) {
            out.append(d.value());
        } else if (v instanceof Value.Text t) {
            string(out, t.value());
        } else {
            out.append("null"); // no value (a BAD reading), or NaN/Infinity, which JSON cannot hold
        }
    }

    private static void field(StringBuilder out, String key, String value) {
        out.append(",\"").append(key).append("\":");
        string(out, value);
    }

    /** A JSON string: quotes, backslashes and control characters escaped (RFC 8259, section 7). */
    private static void string(StringBuilder out, String s) {
        if (s == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
