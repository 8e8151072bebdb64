package io.pm500.api.sink;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A destination for enriched readings, registered as a DS service with a {@value #NAME} property.
 *
 * <p>The pipeline owns delivery guarantees: it keeps each sink's readings in a durable outbox, calls
 * {@link #deliver(List)} from one thread dedicated to that sink, and removes a batch from the outbox only
 * after the call returns normally. So a sink is simple and synchronous:
 * <ul>
 * <li>return normally only when the destination has confirmed the whole batch (HTTP 2xx, MQTT PUBACK);</li>
 * <li>throw a {@linkplain SinkException#isRetriable() retriable} {@link SinkException} when the same batch
 * may succeed later (destination down, timeout, throttled): the pipeline backs off and retries it;</li>
 * <li>throw a permanent one when the destination will never take this batch (rejected data): the
 * pipeline splits the batch to isolate the readings at fault and moves those to a dead-letter file.</li>
 * </ul>
 * Delivery is at-least-once: a batch can be delivered again after a crash or a lost confirmation;
 * {@link EnrichedReading#sequence()} lets the destination drop duplicates.
 *
 * <p>Readings queued while the sink was failing or absent are replayed as <em>historical</em> batches,
 * interleaved with live ones so a long backlog never holds up current values. Within the live stream and within
 * the historical stream, readings of one meter arrive in acquisition order; a historical batch may arrive after a
 * live one with newer readings of the same meter.
 */
@ConsumerType
public interface Sink {

    /** Service property naming the sink; it keys the sink's outbox, so keep it stable across updates. */
    String NAME = "sink.name";

    /**
     * Checks a sink name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (it names the
     * outbox directory).
     *
     * @param where names the setting for the message, e.g. {@code sink route}
     * @return the name
     * @throws IllegalArgumentException naming {@code where}, the name and the rule
     */
    static String checkName(String name, String where) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException(where + ": sink name '" + name + "' must be 1 to 64 letters, digits,"
                    + " '.', '_' or '-', starting with a letter or digit (it names the outbox on disk)");
        }
        return name;
    }

    /**
     * Delivers one batch, blocking until the destination confirms it or fails.
     *
     * @param batch      one or more readings, never empty
     * @param historical true when the batch is replayed backlog from an outage rather than live data (Sparkplug
     *                   sets {@code is_historical}); every reading of a batch is one or the other
     * @throws SinkException when the batch was not delivered
     */
    void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException;

    /**
     * Gives the sink what to call when its destination is reachable again — a connection made, a session online —
     * so the pipeline retries at once instead of at the end of its back-off (which grows to a minute). The pipeline
     * calls this when it binds the sink; calling {@code ready} when nothing waits is harmless. A sink that never
     * learns of such a moment keeps the default, and says when to retry with
     * {@link SinkException#retriableAfter(String, java.time.Duration)} instead.
     */
    default void onReady(Runnable ready) {
        // no connection events: the pipeline's back-off, or the sink's retry-after, decides
    }

    /**
     * Gives the sink the pipeline's catalogue of meters — which meters exist, their assets, what each publishes —
     * when the pipeline binds the sink (before its first {@link #deliver}) and again, with the same object, whenever
     * that knowledge changes (a meter announced or withdrawn, an asset configuration changed). Called from a pipeline
     * thread, never a poll thread; a sink that derives settings from it (a Sparkplug node id from the assets' site)
     * re-derives them here. Sinks that publish readings as they come keep the default.
     */
    default void catalog(MeterCatalog catalog) {
        // readings carry their meter's asset, site and area; nothing to derive up front
    }
}
