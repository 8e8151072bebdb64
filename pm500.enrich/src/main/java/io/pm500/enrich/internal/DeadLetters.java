package io.pm500.enrich.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pm500.api.reading.EnrichedReading;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Readings a sink permanently refused, one JSON object per line in {@code <dir>/<sink.name>.jsonl}, with the
 * sink's error, so an operator can see why, fix the cause and replay them.
 */
final class DeadLetters {
    private final Path dir;
    private final ObjectMapper json = new ObjectMapper();

    DeadLetters(Path dir) {
        this.dir = dir;
    }

    Path file(String sinkName) {
        return dir.resolve(sinkName.replaceAll("[^A-Za-z0-9._-]", "_") + ".jsonl");
    }

    /** Appends one refused reading; throws when the file cannot be written (the reading then stays queued). */
    synchronized void write(String sinkName, EnrichedReading r, String error) {
        ObjectNode line = json.createObjectNode();
        line.put("deadLetteredAt", Instant.now().toString());
        line.put("sink", sinkName);
        line.put("error", error);
        line.put("sequence", r.sequence());
        line.put("meterId", r.meterId());
        line.put("site", r.site());
        line.put("area", r.area());
        line.put("asset", r.asset());
        line.put("metric", r.metric());
        line.put("phase", r.phase().name());
        line.put("unit", r.unit());
        if (r.value() == null) {
            line.putNull("value");
        } else if (r.value() instanceof io.pm500.api.sample.Value.Int i) {
            line.put("value", i.value());
        } else if (r.value() instanceof io.pm500.api.sample.Value.Real d) {
            line.put("value", d.value());
        } else {
            line.put("value", ((io.pm500.api.sample.Value.Text) r.value()).value());
        }
        line.put("quality", r.quality().code());
        line.put("acquiredAt", r.acquiredAt().toString());
        line.put("enrichedAt", r.enrichedAt().toString());
        try {
            Files.createDirectories(dir);
            Files.write(file(sinkName), (json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the dead-letter file " + file(sinkName) + ": " + e, e);
        }
    }
}
