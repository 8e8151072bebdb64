package io.pm500.sink.influx.internal;

import io.pm500.kit.tls.PemTls;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * The HTTP client both write APIs use (OkHttp): the configured timeout, TLS with the configured CA, gzip when
 * configured ({@link GzipRequests}). It owns the connection pool and dispatcher so that {@link #close()} frees
 * connections and threads at once, also those of the client influxdb-client-java builds from {@link #builder()}.
 */
final class Http implements AutoCloseable {
    private final InfluxSettings settings;
    // idle connections close after 10 s (OkHttp's default is 5 min): a stopped sink's pool timer, and the runner
    // thread waiting for it, end soon after
    private final ConnectionPool pool = new ConnectionPool(5, 10, TimeUnit.SECONDS);
    private final Dispatcher dispatcher = new Dispatcher();

    Http(InfluxSettings settings) {
        this.settings = settings;
    }

    OkHttpClient.Builder builder() {
        long ms = settings.timeout().toMillis();
        // OkHttp retries a write that met a pooled connection the server had closed (historians close idle ones);
        // every other failure goes back to the pipeline, which retries with back-off and survives a crash
        OkHttpClient.Builder b = new OkHttpClient.Builder().connectionPool(pool).dispatcher(dispatcher)
                .connectTimeout(ms, TimeUnit.MILLISECONDS).readTimeout(ms, TimeUnit.MILLISECONDS)
                .writeTimeout(ms, TimeUnit.MILLISECONDS).retryOnConnectionFailure(true);
        if (settings.url().getScheme().equalsIgnoreCase("https")) {
            b.sslSocketFactory(PemTls.context("influx", settings.caFile(), null, null).getSocketFactory(),
                    PemTls.trustManager("influx", settings.caFile()));
        }
        if (settings.gzip()) {
            b.addInterceptor(new GzipRequests());
        }
        return b;
    }

    /** Cancels a write in flight (its readings stay queued), then frees threads and connections. */
    @Override
    public void close() {
        dispatcher.cancelAll();
        dispatcher.executorService().shutdown();
        pool.evictAll();
    }
}
