package io.pm500.sink.influx.internal;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import com.influxdb.exceptions.InfluxException;
import io.pm500.api.sink.SinkException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code /api/v2/write} through influxdb-client-java's blocking write API: InfluxDB 2.x and 3.x, and 1.8+ through
 * its compatibility API (token {@code user:password}, bucket {@code database/retention-policy}). The client's own
 * asynchronous buffer is not used: it drops data after its retry window, and the pipeline's outbox already keeps
 * every reading until the historian confirms it.
 */
final class ClientTransport implements Transport {
    private final InfluxSettings settings;
    private final Http http;
    private final InfluxDBClient client;
    private final WriteApiBlocking writes;
    private final WritePrecision precision;
    // InfluxDB 1.8 and 3.x ignore the organisation, but the client wants one
    private final String org;

    ClientTransport(InfluxSettings s) {
        this.settings = s;
        this.precision = s.precision() == LineProtocol.Precision.MS ? WritePrecision.MS : WritePrecision.NS;
        this.org = s.org().isBlank() ? "-" : s.org();
        this.http = new Http(s);
        InfluxDBClientOptions.Builder options = InfluxDBClientOptions.builder().url(s.url().toString())
                .okHttpClient(http.builder()).org(org).bucket(s.bucket()).precision(precision);
        if (s.secret() != null) {
            options.authenticateToken(new String(s.secret(), StandardCharsets.UTF_8).toCharArray());
        }
        client = InfluxDBClientFactory.create(options.build()); // gzip, when configured, is Http's
        writes = client.getWriteApiBlocking();
    }

    @Override
    public void write(String body, int lines) throws SinkException {
        try {
            writes.writeRecord(settings.bucket(), org, precision, body);
        } catch (InfluxException e) {
            if (e.status() == 0) {
                // no HTTP answer: refused, reset, timed out, TLS failure
                throw HttpErrors.unreachable(settings.target(), String.valueOf(e.getCause() != null ? e.getCause()
                        : e.getMessage()));
            }
            // the server's own message, not the client's rewording of it
            Object message = e.errorBody().get("message");
            throw HttpErrors.of(e.status(), message instanceof String m ? m : e.getMessage(), header(e.headers(),
                    "Retry-After"), settings.target() + " refused " + lines + " lines");
        }
    }

    private static String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey() != null && h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    @Override
    public void close() {
        client.close();
        http.close();
    }
}
