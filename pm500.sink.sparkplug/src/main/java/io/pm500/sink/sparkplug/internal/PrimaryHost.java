package io.pm500.sink.sparkplug.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The primary host application's STATE as an edge node follows it (§5.4): births wait for the host to be online, its
 * going offline ends the session; a STATE older than the newest seen (online or offline) came late and is ignored.
 */
final class PrimaryHost {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a STATE message changes. */
    enum Change {
        NONE, ONLINE, OFFLINE
    }

    private boolean online;
    private long newest = Long.MIN_VALUE;

    /** A new MQTT session: the host must say it is online again (its STATE is retained, so it comes at once). */
    void newSession() {
        online = false;
    }

    /**
     * @param payload {@code {"online":bool,"timestamp":ms}}
     * @throws IOException when the payload is not that
     */
    Change state(byte[] payload) throws IOException {
        JsonNode n = JSON.readTree(payload);
        if (n == null || !n.path("online").isBoolean() || !n.path("timestamp").canConvertToLong()) {
            throw new IOException("not {\"online\":bool,\"timestamp\":ms}");
        }
        long timestamp = n.get("timestamp").longValue();
        if (timestamp < newest) {
            return Change.NONE;
        }
        newest = timestamp;
        boolean isOnline = n.get("online").booleanValue();
        if (isOnline == online) {
            return Change.NONE;
        }
        online = isOnline;
        return isOnline ? Change.ONLINE : Change.OFFLINE;
    }
}
