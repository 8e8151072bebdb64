package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterAsset;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.reading.MetricInfo;
import io.pm500.api.sink.SinkException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge node session in force: started under the configured edge node id, or under the one the assets give
 * ({@code <site>-<area>}), which waits for the pipeline's catalogue and is derived again whenever the catalogue
 * changes — a new id ends the session (NDEATH) and starts one under it.
 */
final class Sessions {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

    private final Path dataDir;
    private final Supplier<NodeHealth> health;
    private final Runnable online;
    private final MeterCatalog current = new Current();
    /** The pipeline's catalogue, once handed. */
    private volatile MeterCatalog catalog;
    private String fixedNodeId;
    private Function<String, SparkplugSettings> settings;
    /** Null while the node id waits for the catalogue. */
    private volatile EdgeNode node;
    /** Why the catalogue gives no node id, while that lasts: logged when it starts and when it clears. */
    private String problem;

    /**
     * @param dataDir where each sink keeps its bdSeq ({@code sparkplug/<sink>/bdSeq} below it)
     * @param online  called whenever a session is online with its births out
     */
    Sessions(Path dataDir, Supplier<NodeHealth> health, Runnable online) {
        this.dataDir = dataDir;
        this.health = health;
        this.online = online;
    }

    /**
     * A new configuration: ends the session and starts one under the new settings.
     *
     * @param fixedNodeId the configured edge node id; null to derive it from the assets
     * @param settings    the settings for a node id, checked (throws what to fix)
     * @throws IllegalArgumentException a setting to fix, or assets that span several sites
     */
    synchronized void configure(String fixedNodeId, Function<String, SparkplugSettings> settings) {
        String nodeId = fixedNodeId != null ? fixedNodeId : derive(catalog);
        SparkplugSettings checked = settings.apply(nodeId == null ? "pending" : nodeId); // all else checked now
        this.fixedNodeId = fixedNodeId;
        this.settings = settings;
        problem = null;
        if (nodeId == null) {
            stop();
            LOG.info("Sparkplug sink '{}': edgeNodeId is empty; the session starts once the pipeline tells the"
                    + " assets' site and area", checked.sinkName());
        } else {
            start(checked);
        }
    }

    /** The pipeline's catalogue, at binding and after each change: a derived node id is derived again. */
    synchronized void catalog(MeterCatalog handed) {
        catalog = handed;
        if (settings == null || fixedNodeId != null) {
            return;
        }
        EdgeNode n = node;
        String nodeId;
        try {
            nodeId = derive(handed);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().equals(problem)) {
                problem = e.getMessage();
                LOG.error("{}; {}", problem, n == null ? "no session until then"
                        : "the session stays under " + n.settings().edgeNodeId());
            }
            return;
        }
        if (problem != null) {
            problem = null;
            LOG.info("Sparkplug sink '{}': the assets give one edge node id again: '{}'",
                    settings.apply(nodeId).sinkName(), nodeId);
        }
        if (n == null || !n.settings().edgeNodeId().equals(nodeId)) {
            if (n != null) {
                LOG.info("Sparkplug sink '{}': the assets now give edge node id '{}' (was '{}'); ending the old"
                        + " session", n.settings().sinkName(), nodeId, n.settings().edgeNodeId());
            }
            start(settings.apply(nodeId));
        }
    }

    void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        EdgeNode n = node;
        if (n == null) {
            throw SinkException.retriable("sparkplug: no session yet: its empty edgeNodeId waits for the assets'"
                    + " site and area from the pipeline; set edgeNodeId to start at once", null);
        }
        n.deliver(batch, historical);
    }

    private void start(SparkplugSettings s) {
        stop();
        EdgeNode fresh = new EdgeNode(s, new BdSeqStore(dataDir.resolve("sparkplug").resolve(s.sinkName())
                .resolve("bdSeq")), health, current);
        fresh.onOnline(online);
        node = fresh;
        fresh.start();
        LOG.info("Started {}", s);
    }

    /** Ends the session, if any (NDEATH, disconnect). */
    synchronized void stop() {
        EdgeNode old = node;
        node = null;
        if (old != null) {
            old.stop();
        }
    }

    /**
     * {@code <site>-<area>} when every asset shares them, else {@code pm500-<host name>}; null without a catalogue.
     *
     * @throws IllegalArgumentException when the assets span several sites or areas
     */
    static String derive(MeterCatalog catalog) {
        if (catalog == null) {
            return null;
        }
        Set<String> siteAreas = new TreeSet<>();
        for (MeterAsset a : catalog.assets()) {
            if (!a.site().isEmpty() || !a.area().isEmpty()) {
                siteAreas.add(a.site().isEmpty() ? a.area() : a.area().isEmpty() ? a.site() : a.site() + "-" + a.area());
            }
        }
        if (siteAreas.size() > 1) {
            throw new IllegalArgumentException("sparkplug: edgeNodeId is empty and the assets span several sites or"
                    + " areas " + siteAreas + "; set edgeNodeId (one edge node per gateway)");
        }
        if (siteAreas.size() == 1) {
            return siteAreas.iterator().next();
        }
        try {
            return "pm500-" + InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "pm500";
        }
    }

    /** The catalogue as handed at each use; before the pipeline hands one, nothing is known up front. */
    private final class Current implements MeterCatalog {
        @Override
        public List<String> meterIds() {
            MeterCatalog c = catalog;
            return c == null ? List.of() : c.meterIds();
        }

        @Override
        public List<MeterAsset> assets() {
            MeterCatalog c = catalog;
            return c == null ? List.of() : c.assets();
        }

        @Override
        public List<MetricInfo> metrics(String meterId) {
            MeterCatalog c = catalog;
            return c == null ? List.of() : c.metrics(meterId);
        }

        @Override
        public List<EnrichedReading> newest(String meterId) {
            MeterCatalog c = catalog;
            return c == null ? List.of() : c.newest(meterId);
        }
    }
}
