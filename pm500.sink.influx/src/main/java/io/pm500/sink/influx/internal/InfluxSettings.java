package io.pm500.sink.influx.internal;

import io.pm500.sink.influx.internal.LineProtocol.Precision;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A validated Influx sink configuration; every check names the setting and the fix.
 *
 * @param api       which write API: {@link Api#V2} ({@code /api/v2/write}: InfluxDB 2.x, 3.x, 1.8+ compatibility) or
 *                  {@link Api#V1} (plain {@code /write?db=}: every InfluxDB 1.x)
 * @param secret    token (v2) or password (v1); never logged, {@link #toString()} leaves it out
 */
record InfluxSettings(String sinkName, Api api, URI url, String org, String bucket, String database,
        String retentionPolicy, String username, byte[] secret, String measurement, boolean areaTag,
        boolean meterTag, Precision precision, boolean gzip, Duration timeout, Path caFile) {

    enum Api {
        V2, V1
    }

    static Api api(String value) {
        try {
            return Api.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("influx: api '" + value + "' is not v2 or v1; v2 for InfluxDB 2.x/3.x"
                    + " and 1.8+ (/api/v2/write), v1 for older InfluxDB 1.x (/write?db=)");
        }
    }

    static Precision precision(String value) {
        try {
            return Precision.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("influx: precision '" + value + "' is not ms or ns");
        }
    }

    static URI url(String value) {
        try {
            URI u = new URI(value == null ? "" : value.trim());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                throw new URISyntaxException(String.valueOf(value), "not http(s)://host:port");
            }
            if (u.getRawQuery() != null) {
                throw new URISyntaxException(value, "has a query; give the database or bucket in their own settings");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("influx: url '" + value + "' is not valid (" + e.getReason() + ");"
                    + " write http://host:8086, or https://host:8086 for TLS");
        }
    }

    InfluxSettings {
        if (api == Api.V2 && bucket.isBlank()) {
            throw new IllegalArgumentException("influx: bucket is empty; api v2 writes to a bucket (InfluxDB 1.8+:"
                    + " <database>/<retention policy>)");
        }
        if (api == Api.V1 && database.isBlank()) {
            throw new IllegalArgumentException("influx: database is empty; api v1 writes to a database");
        }
        if (measurement.isBlank()) {
            throw new IllegalArgumentException("influx: measurement is empty; the default is powermonitor_500");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("influx: timeoutSeconds must be at least 1");
        }
    }

    /** Names the sink and its target in messages. */
    String target() {
        return "influx '" + sinkName + "' (" + url + (api == Api.V2 ? ", bucket " + bucket : ", database "
                + database) + ")";
    }

    @Override
    public String toString() {
        return target() + " api " + api.name().toLowerCase(Locale.ROOT) + ", measurement " + measurement
                + ", precision " + precision.name().toLowerCase(Locale.ROOT) + (gzip ? ", gzip" : "");
    }
}
