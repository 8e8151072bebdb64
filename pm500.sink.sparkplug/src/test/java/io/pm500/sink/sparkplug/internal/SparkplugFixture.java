package io.pm500.sink.sparkplug.internal;

import static org.assertj.core.api.Assertions.fail;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterAsset;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.sink.SinkException;
import io.pm500.demo.SparkplugSubscriber.Received;
import io.pm500.demo.SparkplugSubscriber;
import io.pm500.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/** Readings, settings and waiting for what a real subscriber received. */
final class SparkplugFixture {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private SparkplugFixture() {
    }

    /** A meter catalogue as the pipeline gives one: meters, declared metrics and newest readings by meter id. */
    record Catalog(List<String> meterIds, List<MeterAsset> assets, Function<String, List<MetricInfo>> declared,
            Function<String, List<EnrichedReading>> readings) implements MeterCatalog {
        /** No catalogue: metrics are learnt from the readings. */
        static final Catalog NONE = new Catalog(List.of(), List.of(), id -> List.of(), id -> List.of());

        Catalog(Function<String, List<MetricInfo>> declared, Function<String, List<EnrichedReading>> readings) {
            this(List.of(), List.of(), declared, readings);
        }

        static Catalog declaring(Function<String, List<MetricInfo>> declared) {
            return new Catalog(declared, id -> List.of());
        }

        Catalog withMeters(List<String> ids) {
            return new Catalog(ids, assets, declared, readings);
        }

        /** Assets of meters 1, 2, … at these {@code site/area}s. */
        Catalog withAssetsAt(String... siteAreas) {
            List<MeterAsset> list = new ArrayList<>();
            for (String sa : siteAreas) {
                String[] parts = sa.split("/");
                list.add(new MeterAsset("meter-" + (list.size() + 1), "feeder-" + (list.size() + 1), parts[0],
                        parts[1], "", List.of()));
            }
            return new Catalog(meterIds, list, declared, readings);
        }

        @Override
        public List<MetricInfo> metrics(String meterId) {
            return declared.apply(meterId);
        }

        @Override
        public List<EnrichedReading> newest(String meterId) {
            return readings.apply(meterId);
        }
    }

    static SparkplugSettings settings(String node, List<String> uris, String primaryHost) {
        return new SparkplugSettings("sparkplug", "pm500", node, uris, "pm500-" + node, "", null, null, null, null,
                primaryHost, 30, 5, 60_000, 0, false);
    }

    static EnrichedReading reading(String asset, String metric, Value value, Quality q, String unit, Instant at) {
        return new EnrichedReading(SEQUENCE.incrementAndGet(), "meter-" + asset, "site", "area", asset, metric,
                Phase.NONE, unit, value, q, at, at);
    }

    static EnrichedReading good(String asset, String metric, double value, Instant at) {
        return reading(asset, metric, Value.of(value), Quality.GOOD, "V", at);
    }

    /** Delivers once the node is online (the pipeline would retry the same way). */
    static void deliver(EdgeNode node, List<EnrichedReading> batch, boolean historical) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                node.deliver(batch, historical);
                return;
            } catch (SinkException e) {
                if (!e.isRetriable() || System.nanoTime() > deadline) {
                    fail("not delivered within 30 s: " + e.getMessage(), e);
                }
                sleep(100);
            }
        }
    }

    /** The test kit's {@link Await}, for callers that declare no checked exception. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        try {
            Await.until(what, timeout, condition::getAsBoolean);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        } catch (Exception e) {
            throw new AssertionError("waiting for " + what + " failed: " + e, e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Publishes a one-metric command as a host would (QoS 1); the datatype may be left out, as the spec allows. */
    static void command(Recorder rec, String topic, String name, Object value, Long alias, boolean withoutDatatype) {
        try {
            MetricDataType dt = value instanceof Boolean ? MetricDataType.Boolean
                    : value instanceof Long ? MetricDataType.Int64 : MetricDataType.Double;
            byte[] payload = new SparkplugBPayloadEncoder().getBytes(new SparkplugBPayload(new java.util.Date(),
                    List.of(new Metric.MetricBuilder(name, dt, value).alias(alias).createMetric())),
                    withoutDatatype);
            rec.subscriber.publish(topic, payload, 1, false).waitForCompletion(5000);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Metric metric(Received r, String name) {
        return r.payload().getMetrics().stream().filter(m -> name.equals(m.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(r.type() + " has no metric " + name));
    }

    static Path bdSeqFile(Path dir, String node) {
        return dir.resolve(node).resolve("bdSeq");
    }

    /** Everything a subscriber received, in order. */
    static final class Recorder implements AutoCloseable {
        final List<Received> messages = new CopyOnWriteArrayList<>();
        final SparkplugSubscriber subscriber;

        Recorder(String uri, String id) throws Exception {
            this(uri, id, null);
        }

        Recorder(String uri, String id, javax.net.SocketFactory tls) throws Exception {
            subscriber = new SparkplugSubscriber(uri, id, tls, messages::add);
        }

        List<Received> of(String node, String type) {
            List<Received> out = new ArrayList<>();
            for (Received r : messages) {
                if (node.equals(r.node()) && type.equals(r.type())) {
                    out.add(r);
                }
            }
            return out;
        }

        List<Received> where(Predicate<Received> p) {
            return messages.stream().filter(p).toList();
        }

        Received awaitOne(String node, String type, int index) {
            await((index + 1) + " " + type + " from " + node, Duration.ofSeconds(30),
                    () -> of(node, type).size() > index);
            return of(node, type).get(index);
        }

        @Override
        public void close() throws Exception {
            subscriber.close();
        }
    }
}
