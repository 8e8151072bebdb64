package io.pm500.sink.aws.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.reading.Units;
import io.pm500.api.sample.Value;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON messages for a batch of readings ({@code docs/aws-iot-payload.md}): one object per meter and acquisition
 * time, written with Jackson's streaming generator; with batching, the objects of one topic in a JSON array of at
 * most the message limit.
 */
final class Telemetry {
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /**
     * One MQTT message: its topic, its JSON, how many readings it carries (for messages), and for each meter in it the
     * quality of an object without values it carries (null: the meter's object has values).
     */
    record Message(String topic, byte[] payload, int readings, Map<String, Quality> meters) {
    }

    private final AwsSettings settings;
    private final MetricKeys keys = new MetricKeys();
    /**
     * Meters whose last published object had no values, with its quality: another such object with the same quality
     * says nothing new and is not sent (each message is billed). Updated once messages are PUBACKed.
     */
    private final Map<String, Quality> silent = new ConcurrentHashMap<>();

    Telemetry(AwsSettings settings) {
        this.settings = settings;
    }

    List<Message> messages(List<EnrichedReading> batch) {
        Map<String, List<Message>> byTopic = new LinkedHashMap<>();
        int n = batch.size();
        for (int start = 0; start < n;) {
            EnrichedReading first = batch.get(start);
            int end = start + 1;
            while (end < n && batch.get(end).meterId().equals(first.meterId())
                    && batch.get(end).acquiredAt().equals(first.acquiredAt())) {
                end++;
            }
            List<EnrichedReading> readings = batch.subList(start, end);
            start = end;
            Quality empty = hasValue(readings) ? null : worst(readings);
            if (empty != null && empty == silent.get(first.meterId())) {
                continue; // the cloud already knows this meter has nothing to say: no billed message per poll
            }
            String topic = settings.topic(first);
            Map<String, Quality> meters = new HashMap<>(2);
            meters.put(first.meterId(), empty);
            byTopic.computeIfAbsent(topic, t -> new ArrayList<>()).add(new Message(topic, sample(readings),
                    readings.size(), meters));
        }
        List<Message> out = new ArrayList<>();
        for (List<Message> samples : byTopic.values()) {
            if (settings.batchMessages()) {
                batched(samples, out);
            } else {
                out.addAll(samples);
            }
        }
        return out;
    }

    /** The messages were PUBACKed: remember which meters' last objects had no values. */
    void published(List<Message> messages) {
        for (Message m : messages) {
            m.meters().forEach((meter, empty) -> {
                if (empty == null) {
                    silent.remove(meter);
                } else {
                    silent.put(meter, empty);
                }
            });
        }
    }

    /** JSON arrays of whole sample objects, each array within the message limit. */
    private void batched(List<Message> samples, List<Message> out) {
        ByteArrayOutputStream array = new ByteArrayOutputStream();
        int readings = 0;
        Map<String, Quality> meters = new HashMap<>();
        String topic = samples.get(0).topic();
        for (Message m : samples) {
            if (array.size() > 0 && array.size() + m.payload().length + 2 > settings.maxMessageBytes()) {
                array.write(']');
                out.add(new Message(topic, array.toByteArray(), readings, meters));
                array.reset();
                readings = 0;
                meters = new HashMap<>();
            }
            array.write(array.size() == 0 ? '[' : ',');
            array.writeBytes(m.payload());
            readings += m.readings();
            meters.putAll(m.meters()); // in order: a meter's last object in the array decides
        }
        array.write(']');
        out.add(new Message(topic, array.toByteArray(), readings, meters));
    }

    /** Whether any reading has a value worth sending (see {@link #metric}). */
    private static boolean hasValue(List<EnrichedReading> readings) {
        for (EnrichedReading r : readings) {
            if (r.value() != null && (r.quality() == Quality.GOOD || r.quality() == Quality.UNCERTAIN)
                    && !r.value().isNonFinite()) {
                return true;
            }
        }
        return false;
    }

    private static Quality worst(List<EnrichedReading> readings) {
        Quality worst = Quality.GOOD;
        for (EnrichedReading r : readings) {
            worst = worst.worse(r.quality());
        }
        return worst;
    }

    /** One meter at one acquisition time. */
    private byte[] sample(List<EnrichedReading> readings) {
        EnrichedReading head = readings.get(0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(2048);
        try (JsonGenerator g = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("site", head.site());
            g.writeStringField("area", head.area());
            g.writeStringField("asset", head.asset());
            g.writeStringField("meterId", head.meterId());
            g.writeStringField("timestamp", TIMESTAMP.format(head.acquiredAt()));
            long sequence = Long.MAX_VALUE;
            for (EnrichedReading r : readings) {
                sequence = Math.min(sequence, r.sequence());
            }
            g.writeStringField("quality", worst(readings).name());
            g.writeNumberField("sequence", sequence);
            Map<String, String> units = new LinkedHashMap<>();
            g.writeObjectFieldStart("metrics");
            for (EnrichedReading r : readings) {
                metric(r, g, units);
            }
            g.writeEndObject();
            g.writeObjectFieldStart("units");
            for (Map.Entry<String, String> u : units.entrySet()) {
                g.writeStringField(u.getKey(), u.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("JSON into memory failed", e);
        }
        return bytes.toByteArray();
    }

    /**
     * A metric with a value worth sending: GOOD or UNCERTAIN (a BAD reading has none, a STALE one repeats an older
     * one), never NaN or infinite (JSON has no such numbers).
     */
    private void metric(EnrichedReading r, JsonGenerator g, Map<String, String> units) throws IOException {
        Value v = r.value();
        if (v == null || (r.quality() != Quality.GOOD && r.quality() != Quality.UNCERTAIN) || v.isNonFinite()) {
            return;
        }
        MetricKeys.Key key = keys.of(r.metric());
        String name = key.name();
        String unit = r.unit();
        double factor = 1;
        if (key.unit() != null && !key.unit().equals(unit)) {
            Optional<Double> f = Units.factor(unit, key.unit());
            if (f.isPresent()) {
                factor = f.get();
                unit = key.unit();
            } else {
                name = MetricKeys.plain(r.metric()); // not in the key's unit: sent as it is, under its own name
            }
        }
        if (v instanceof Value.Text t) {
            g.writeStringField(name, t.value());
        } else if (v instanceof Value.Int i && factor == 1) {
            g.writeNumberField(name, i.value());
        } else {
            double d = v.asDouble() * factor;
            if (!Double.isFinite(d)) {
                return;
            }
            g.writeNumberField(name, d);
        }
        if (!unit.isEmpty()) {
            units.put(name, unit);
        }
    }
}
