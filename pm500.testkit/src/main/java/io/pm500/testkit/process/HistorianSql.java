package io.pm500.testkit.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SQL against the historian (QuestDB's {@code /exec} HTTP endpoint), to read back what a sink wrote. */
public final class HistorianSql {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String url;

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
    public List<Map<String, Object>> query(String sql) throws IOException {
        HttpURLConnection http = (HttpURLConnection) URI.create(url + "/exec?query="
                + URLEncoder.encode(sql, StandardCharsets.UTF_8)).toURL().openConnection();
        http.setConnectTimeout(5000);
        http.setReadTimeout(30_000);
        String text;
        int status;
        try {
            status = http.getResponseCode();
            try (InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream()) {
                text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            http.disconnect();
        }
        JsonNode body = JSON.readTree(text);
        if (status != 200 || body.has("error")) {
            throw new IOException("historian refused '" + sql + "': " + text);
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

    /**
     * The single number a query such as {@code select count() from t} returns; 0 when the table or a column it names
     * does not exist (yet: a sink's first write creates them).
     */
    public long count(String sql) throws IOException {
        try {
            List<Map<String, Object>> rows = query(sql);
            return rows.isEmpty() ? 0 : ((Number) rows.get(0).values().iterator().next()).longValue();
        } catch (IOException e) {
            if (e.getMessage().contains("does not exist") || e.getMessage().contains("Invalid column")) {
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
