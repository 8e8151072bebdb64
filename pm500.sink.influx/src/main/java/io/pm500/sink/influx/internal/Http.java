package io.pm500.sink.influx.internal;

import io.pm500.api.tls.PemTls;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/** The HTTP client both write APIs use: the configured timeout, TLS with the configured CA, no silent retries. */
final class Http {
    private Http() {
    }

    static OkHttpClient.Builder builder(InfluxSettings s) {
        long ms = s.timeout().toMillis();
        // retries are the pipeline's (with back-off, after a crash too); OkHttp's own would repeat writes unseen
        OkHttpClient.Builder b = new OkHttpClient.Builder().connectTimeout(ms, TimeUnit.MILLISECONDS)
                .readTimeout(ms, TimeUnit.MILLISECONDS).writeTimeout(ms, TimeUnit.MILLISECONDS)
                .retryOnConnectionFailure(false);
        if (s.url().getScheme().equalsIgnoreCase("https")) {
            b.sslSocketFactory(PemTls.context("influx", s.caFile(), null, null).getSocketFactory(),
                    PemTls.trustManager("influx", s.caFile()));
        }
        return b;
    }

    /** Frees the client's threads and connections now rather than when it is collected. */
    static void shutdown(OkHttpClient http) {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
