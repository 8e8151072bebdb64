package io.pm500.profile;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Collects every unknown field, bad enum constant and value of the wrong type while binding, instead of stopping
 * at the first, so one round of editing fixes them all. Rule violations are checked once the file binds.
 */
final class BindingProblems extends DeserializationProblemHandler {
    final List<String> problems = new ArrayList<>();
    private final String json;

    BindingProblems(String json) {
        this.json = json;
    }

    ProfileException exception(String source, Exception cause) {
        StringBuilder message = new StringBuilder(source).append(": ").append(problems.size())
                .append(problems.size() == 1 ? " problem" : " problems");
        problems.forEach(p -> message.append("\n  ").append(p));
        return new ProfileException(message.toString(), cause);
    }

    private void add(JsonParser p, String problem) {
        List<Object> path = pathOf(p);
        // a record's values are buffered before its creator runs; a buffer has no locations
        String where = DeviceProfiles.where(p.currentTokenLocation());
        int line = where.isEmpty() ? DeviceProfiles.lineOf(json, path) : 0;
        problems.add((line > 0 ? "line " + line + ": " : where) + (path.isEmpty() ? "(top level)"
                : DeviceProfiles.render(path))
                + ": " + problem);
    }

    @Override
    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
            JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName) throws IOException {
        Collection<Object> known = deserializer.getKnownPropertyNames();
        add(p, "unknown field '" + propertyName + "': remove it, or fix its spelling (known here: " + known + ")");
        p.skipChildren();
        return true;
    }

    @Override
    public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String value,
            String failureMsg) {
        add(ctxt.getParser(), "'" + value + "' is not " + kind(targetType));
        return placeholder(targetType);
    }

    @Override
    public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number value,
            String failureMsg) {
        add(ctxt.getParser(), value + " is not " + kind(targetType));
        return placeholder(targetType);
    }

    @Override
    public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t,
            JsonParser p, String failureMsg) throws IOException {
        add(p, "a " + t.name().toLowerCase(Locale.ROOT).replace("value_", "").replace("start_", "")
                + " where " + expectedOf(targetType) + " belongs");
        p.skipChildren();
        return placeholder(targetType.getRawClass());
    }

    @Override
    public Object handleInstantiationProblem(DeserializationContext ctxt, Class<?> instClass, Object argument,
            Throwable t) {
        // follows from a problem already recorded (a value left out), or is one of its own
        if (problems.isEmpty()) {
            add(ctxt.getParser(), String.valueOf(t.getMessage()));
        }
        return null;
    }

    private static String expectedOf(JavaType type) {
        if (type.isCollectionLikeType() || type.isArrayType()) {
            return "a list";
        }
        if (type.isMapLikeType() || !type.isPrimitive() && !type.isEnumType()
                && !Number.class.isAssignableFrom(type.getRawClass()) && type.getRawClass() != String.class) {
            return "an object";
        }
        return kind(type.getRawClass());
    }

    /** A value that lets binding go on; the profile is refused anyway. */
    private static Object placeholder(Class<?> type) {
        if (type.isEnum()) {
            return type.getEnumConstants()[0];
        }
        if (type == boolean.class || type == Boolean.class) {
            return false;
        }
        if (type == double.class || type == Double.class) {
            return 0.0;
        }
        if (type == long.class || type == Long.class) {
            return 0L;
        }
        if (type == int.class || type == Integer.class) {
            return 0;
        }
        return null;
    }

    private static String kind(Class<?> type) {
        if (type.isEnum()) {
            return "one of " + Arrays.toString(type.getEnumConstants());
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        return type == String.class ? "a string" : "a " + type.getSimpleName();
    }

    private static List<Object> pathOf(JsonParser p) {
        List<Object> path = new ArrayList<>();
        for (JsonStreamContext c = p.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                path.add(0, Math.max(0, c.getCurrentIndex()));
            } else if (c.getCurrentName() != null) {
                path.add(0, c.getCurrentName());
            }
        }
        return path;
    }
}
