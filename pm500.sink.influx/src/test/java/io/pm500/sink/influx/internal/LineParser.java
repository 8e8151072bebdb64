package io.pm500.sink.influx.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict parser of one line of InfluxDB line protocol as the InfluxDB documentation defines it, written
 * independently of the encoder so the property tests can check its output: any deviation throws.
 */
final class LineParser {

    /** A field value: {@code Double}, {@code Long} (with the {@code i} suffix) or {@code String}. */
    record Line(String measurement, Map<String, String> tags, Map<String, Object> fields, long timestamp) {
    }

    private final String s;
    private int i;

    private LineParser(String line) {
        this.s = line;
    }

    static Line parse(String line) {
        return new LineParser(line).line();
    }

    private Line line() {
        String measurement = token(", ", false);
        if (measurement.isEmpty()) {
            throw error("empty measurement");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        while (peek() == ',') {
            i++;
            String key = token(",= ", true);
            expect('=');
            String value = token(",= ", true);
            if (key.isEmpty() || value.isEmpty()) {
                throw error("empty tag key or value");
            }
            tags.put(key, value);
        }
        expect(' ');
        Map<String, Object> fields = new LinkedHashMap<>();
        do {
            if (!fields.isEmpty()) {
                expect(',');
            }
            String key = token(",= ", true);
            expect('=');
            fields.put(key, value());
        } while (peek() == ',');
        expect(' ');
        int start = i;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || (i == start && s.charAt(i) == '-'))) {
            i++;
        }
        if (i != s.length() || start == i) {
            throw error("timestamp must end the line");
        }
        return new Line(measurement, tags, fields, Long.parseLong(s.substring(start)));
    }

    /** An unquoted token up to an unescaped delimiter; a backslash escapes a delimiter or a backslash. */
    private String token(String delimiters, boolean equalsEscapable) {
        StringBuilder b = new StringBuilder();
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (delimiters.indexOf(s.charAt(i + 1)) >= 0
                    || s.charAt(i + 1) == '\\' || (equalsEscapable && s.charAt(i + 1) == '='))) {
                b.append(s.charAt(i + 1));
                i += 2;
                continue;
            }
            if (delimiters.indexOf(c) >= 0) {
                break;
            }
            if (c == '\n') {
                throw error("newline inside a line");
            }
            b.append(c);
            i++;
        }
        return b.toString();
    }

    private Object value() {
        if (peek() == '"') {
            i++;
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length() && (s.charAt(i) == '"' || s.charAt(i) == '\\')) {
                    b.append(s.charAt(i++));
                } else if (c == '"') {
                    return b.toString();
                } else if (c == '\n') {
                    throw error("newline inside a string");
                } else {
                    b.append(c);
                }
            }
        }
        int start = i;
        while (i < s.length() && s.charAt(i) != ',' && s.charAt(i) != ' ') {
            i++;
        }
        String v = s.substring(start, i);
        if (v.endsWith("i")) {
            return Long.parseLong(v.substring(0, v.length() - 1));
        }
        if (!v.matches("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
            throw error("not a finite number: '" + v + "'");
        }
        return Double.parseDouble(v);
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at " + i + " in: " + s);
    }
}
