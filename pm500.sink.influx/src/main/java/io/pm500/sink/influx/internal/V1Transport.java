package io.pm500.sink.influx.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.pm500.api.sink.SinkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Plain InfluxDB 1.x {@code POST /write?db=&rp=&precision=}, which versions before 1.8 only have; user and password
 * by HTTP basic authentication. The same HTTP client as the v2 path (OkHttp, embedded with influxdb-client-java).
 */
final class V1Transport implements Transport {
    private static final MediaType TEXT = MediaType.get("text/plain; charset=utf-8");
    private static final int MESSAGE_LIMIT = 1000;

    private final InfluxSettings settings;
    private final Http resources;
    private final OkHttpClient http;
    private final HttpUrl url;
    private final String authorization;
    private final HttpUrl ping;
    /** Learnt from the server's {@code /ping} before the first write: null until then. */
    private volatile Boolean unescapes;

    V1Transport(InfluxSettings s) {
        this.settings = s;
        this.resources = new Http(s);
        this.http = resources.builder().build();
        HttpUrl base = HttpUrl.get(s.url().toString());
        HttpUrl.Builder u = base.newBuilder().addPathSegment("write").addQueryParameter("db", s.database())
                .addQueryParameter("precision", s.precision().name().toLowerCase(Locale.ROOT));
        if (!s.retentionPolicy().isBlank()) {
            u.addQueryParameter("rp", s.retentionPolicy());
        }
        this.url = u.build();
        this.ping = base.newBuilder().addPathSegment("ping").build();
        this.authorization = s.username().isBlank() ? null : Credentials.basic(s.username(),
                s.secret() == null ? "" : new String(s.secret(), StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    @Override
    public void write(String body, int lines) throws SinkException {
        Request.Builder request = new Request.Builder().url(url);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8); // gzip, when configured, is Http's
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try (Response response = http.newCall(request.post(RequestBody.create(bytes, TEXT)).build()).execute()) {
            if (response.isSuccessful()) {
                return;
            }
            throw HttpErrors.of(response.code(), message(response.body()), response.header("Retry-After"),
                    settings.target() + " refused " + lines + " lines");
        } catch (IOException e) {
            throw HttpErrors.unreachable(settings.target(), e.toString());
        }
    }

    /**
     * The {@code /write} path is spoken by InfluxDB 1.x and by others (QuestDB, VictoriaMetrics) that read escapes as
     * 2.x does; {@code /ping}'s {@code X-Influxdb-Version} tells them apart.
     */
    @Override
    public boolean unescapesBackslashes() throws SinkException {
        Boolean known = unescapes;
        if (known != null) {
            return known;
        }
        Request.Builder request = new Request.Builder().url(ping);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try (Response response = http.newCall(request.build()).execute()) {
            String version = response.header("X-Influxdb-Version", "");
            known = !version.startsWith("1.") && !version.startsWith("v1.");
            unescapes = known;
            return known;
        } catch (IOException e) {
            throw HttpErrors.unreachable(settings.target(), e.toString());
        }
    }

    /** InfluxDB 1.x says why in {@code {"error":"…"}}; anything else (a proxy's page) is shown as it came. */
    private static String message(ResponseBody body) throws IOException {
        String text = body == null ? "" : body.string();
        try {
            JsonElement json = JsonParser.parseString(text);
            if (json.isJsonObject() && json.getAsJsonObject().get("error") instanceof JsonPrimitive error) {
                text = error.getAsString();
            }
        } catch (JsonParseException e) {
            // not JSON: keep the text
        }
        return text.length() > MESSAGE_LIMIT ? text.substring(0, MESSAGE_LIMIT) + "…" : text;
    }

    @Override
    public void close() {
        resources.close();
    }
}
