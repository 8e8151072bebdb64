package io.pm500.testkit.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SQL against the historian (QuestDB's {@code /exec} HTTP endpoint), to read back what a sink wrote. */
public final class HistorianSql {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param url the historian's {@code http://host:port} */
    public HistorianSql(String url) {
        this.url = url;
    }

    /**
     * Rows as column → value maps (integers as Long, other numbers as Double, timestamps as ISO text); none for
     * DDL.
     *
     * @throws IOException when the historian refuses the query (the message says why) or cannot be reached
     */
    public List<Map<String, Object>> query(String sql) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/exec?query="
                + URLEncoder.encode(sql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        if (r.statusCode() != 200 || body.has("error")) {
            throw new IOException("historian refused '" + sql + "': " + r.body());
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!body.has("columns")) {
            return rows; // DDL such as CREATE TABLE answers {"ddl":"OK"}
        }
        List<String> columns = new ArrayList<>();
        body.get("columns").forEach(c -> columns.add(c.get("name").asText()));
        for (JsonNode row : body.get("dataset")) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < columns.size(); i++) {
                m.put(columns.get(i), value(row.get(i)));
            }
            rows.add(m);
        }
        return rows;
    }

    /** The single number a query such as {@code select count() from t} returns; 0 when the table does not exist. */
    public long count(String sql) throws IOException, InterruptedException {
        try {
            List<Map<String, Object>> rows = query(sql);
            return rows.isEmpty() ? 0 : ((Number) rows.get(0).values().iterator().next()).longValue();
        } catch (IOException e) {
            if (e.getMessage().contains("does not exist")) {
                return 0;
            }
            throw e;
        }
    }

    private static Object value(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        return v.isBoolean() ? (Object) v.asBoolean() : v.asText();
    }
}
