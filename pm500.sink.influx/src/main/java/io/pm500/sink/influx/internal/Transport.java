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

    @Override
    void close();
}
