package io.pm500.sink.sparkplug.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A validated Sparkplug sink configuration. Every check names the setting and the fix, so a bad configuration
 * refuses activation with a message a controls engineer can act on.
 *
 * @param password  never logged; {@link #toString()} leaves it out
 * @param rebirthDebounceMillis a node rebirth asked for sooner than this after the last births waits for the end
 *                              of that window, and requests meanwhile share it; 0 = every request at once
 * @param templates group each meter's metrics into template instances (UDTs) instead of plain metrics
 */
record SparkplugSettings(String sinkName, String groupId, String edgeNodeId, List<String> brokerUris,
        String clientId, String username, byte[] password, Path caFile, Path clientCertFile, Path clientKeyFile,
        String primaryHostId, int keepAliveSeconds, int connectTimeoutSeconds, long scanRateMillis,
        long rebirthDebounceMillis, boolean templates) {

    private static final Set<String> SCHEMES = Set.of("tcp", "ssl");

    /** A Sparkplug id (group, edge node, device, host): not empty, and none of the MQTT topic characters. */
    static String checkId(String value, String setting) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("sparkplug: " + setting + " is empty; set it to a name without"
                    + " '/', '+' or '#'");
        }
        for (char c : new char[] { '/', '+', '#' }) {
            if (value.indexOf(c) >= 0) {
                throw new IllegalArgumentException("sparkplug: " + setting + " '" + value + "' contains '" + c
                        + "', which Sparkplug B 3.0 forbids in ids (§4.1.1); use '-' or '_' instead");
            }
        }
        return value;
    }

    /** Broker URIs, in the order they are tried. */
    static List<String> checkUris(String[] uris) {
        List<String> list = uris == null ? List.of() : Arrays.stream(uris).map(String::trim)
                .filter(u -> !u.isEmpty()).toList();
        if (list.isEmpty()) {
            throw new IllegalArgumentException("sparkplug: brokerUris is empty; give at least one, e.g."
                    + " tcp://127.0.0.1:1883 or ssl://broker.example:8883");
        }
        for (String uri : list) {
            try {
                URI u = new URI(uri);
                if (u.getScheme() == null || !SCHEMES.contains(u.getScheme().toLowerCase(Locale.ROOT))
                        || u.getHost() == null) {
                    throw new URISyntaxException(uri, "not tcp://host:port or ssl://host:port");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("sparkplug: broker URI '" + uri + "' is not valid (" + e.getReason()
                        + "); write tcp://host:port, or ssl://host:port for TLS");
            }
        }
        return list;
    }

    boolean usesTls() {
        return brokerUris.stream().anyMatch(u -> u.regionMatches(true, 0, "ssl:", 0, 4));
    }

    @Override
    public String toString() {
        return "sparkplug sink '" + sinkName + "' spBv1.0/" + groupId + "/+/" + edgeNodeId + " via " + brokerUris
                + (primaryHostId.isEmpty() ? "" : ", primary host " + primaryHostId);
    }
}
