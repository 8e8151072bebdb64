package io.pm500.profile;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** Finds the line of a value by its path, so rule violations found after binding can name a line too. */
final class JsonLocator {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonLocator() {
    }

    /**
     * @param path field names and array indexes from the root
     * @return the 1-based line where the value at the path starts, or 0 if it is not there
     */
    static int line(String json, List<Object> path) {
        try (JsonParser parser = FACTORY.createParser(json)) {
            Deque<Object> current = new ArrayDeque<>();
            Deque<Integer> indexes = new ArrayDeque<>();
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.FIELD_NAME) {
                    current.removeLast();
                    current.addLast(parser.currentName());
                    continue;
                }
                if (!current.isEmpty() && current.peekLast() instanceof Integer && !token.isStructEnd()) {
                    int next = indexes.pop() + 1;
                    indexes.push(next);
                    current.removeLast();
                    current.addLast(next);
                }
                if (!token.isStructEnd() && matches(current, path)) {
                    return parser.currentTokenLocation().getLineNr();
                }
                if (token == JsonToken.START_OBJECT) {
                    current.addLast("");
                } else if (token == JsonToken.START_ARRAY) {
                    current.addLast(-1);
                    indexes.push(-1);
                } else if (token.isStructEnd()) {
                    Object last = current.removeLast();
                    if (last instanceof Integer) {
                        indexes.pop();
                    }
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    private static boolean matches(Deque<Object> current, List<Object> path) {
        if (current.size() != path.size()) {
            return false;
        }
        int i = 0;
        for (Object element : current) {
            if (!element.equals(path.get(i++))) {
                return false;
            }
        }
        return true;
    }
}
