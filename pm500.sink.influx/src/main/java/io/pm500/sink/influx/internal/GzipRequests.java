package io.pm500.sink.influx.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSink;
import okio.Okio;

/**
 * Compresses each write request's body with gzip at deflate's fastest level, for both write APIs. Line protocol is
 * repetitive: level 1 gives bodies about a fifth larger than the default level 6 in a quarter of the time, and at the
 * default level compressing was half of the historian courier's CPU while it caught up on a backlog
 * (docs/performance.md, "Replay"). influxdb-client-java's and okio's gzip use the default level, so neither is used.
 */
final class GzipRequests implements Interceptor {
    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        RequestBody body = request.body();
        if (body == null || request.header("Content-Encoding") != null) {
            return chain.proceed(request);
        }
        Buffer compressed = new Buffer();
        try (BufferedSink sink = Okio.buffer(Okio.sink(new FastGzip(compressed.outputStream())))) {
            body.writeTo(sink);
        }
        return chain.proceed(request.newBuilder().header("Content-Encoding", "gzip")
                .method(request.method(), RequestBody.create(compressed.readByteString(), body.contentType()))
                .build());
    }

    /** gzip at {@link Deflater#BEST_SPEED}: the stream's deflater is its own, its level set before any input. */
    private static final class FastGzip extends GZIPOutputStream {
        FastGzip(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(Deflater.BEST_SPEED);
        }
    }
}
