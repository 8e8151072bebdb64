package io.pm500.sink.influx.internal;

import io.pm500.api.sink.SinkException;

/** Sends a line-protocol body to the historian and returns only when it accepted the whole of it. */
interface Transport extends AutoCloseable {

    /**
     * @param body  newline-separated lines
     * @param lines how many lines, for messages
     * @throws SinkException retriable when the same body may be accepted later, permanent when the data is refused
     */
    void write(String body, int lines) throws SinkException;

    /**
     * Whether the server reads {@code \\} in names and tag values as one backslash (InfluxDB 2.x, 3.x, QuestDB) or
     * takes every backslash not followed by a special character literally (InfluxDB 1.x).
     *
     * @throws SinkException retriable when the server cannot be asked
     */
    default boolean unescapesBackslashes() throws SinkException {
        return true;
    }

    @Override
    void close();
}
