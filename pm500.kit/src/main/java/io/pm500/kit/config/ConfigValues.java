package io.pm500.kit.config;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.osgi.util.converter.Converters;
import org.slf4j.Logger;

/**
 * Reads a component's configuration as its configuration annotation type, the one way every component reads its
 * configuration. Unlike the type Declarative Services injects, which converts lazily and fails deep inside a component
 * with a bare {@code NumberFormatException}, every value is checked first: a value of the wrong type refuses the whole
 * configuration with an error naming the configuration (pid and file), the key, the value and the fix. Keys the type
 * does not know are warned about with the nearest known key (a misspelt key would otherwise be ignored and
 * its setting silently stay at its default).
 *
 * <p>Lists: a {@code .config} file or the Web Console gives an array; a {@code .cfg} file gives one string, which is
 * split at its top-level commas (commas inside parentheses, as in {@code sum(a,b)}, do not split), each part trimmed.
 */
public final class ConfigValues {
    /** Properties Config Admin, FileInstall, Declarative Services and the Web Console add; never a typo. */
    private static final Set<String> FRAMEWORK_PREFIXES = Set.of("service.", "component.", "felix.", "webconsole.",
            "osgi.", ":org.apache.felix");

    /** Each configuration annotation's elements by property key, looked up once per type. */
    private static final ClassValue<Map<String, Method>> ELEMENTS = new ClassValue<>() {
        @Override
        protected Map<String, Method> computeValue(Class<?> type) {
            Map<String, Method> byKey = new LinkedHashMap<>();
            for (Method m : type.getDeclaredMethods()) {
                byKey.put(key(m.getName()), m);
            }
            return Collections.unmodifiableMap(byKey);
        }
    };

    private ConfigValues() {
    }

    /**
     * Reads {@code properties} (a component's configuration properties) as {@code type}: logs a WARN per unknown key
     * and, when a value is bad, an ERROR before it throws.
     *
     * @param log the component's logger
     * @return the configuration as the annotation type, every value already converted
     * @throws IllegalArgumentException naming the configuration and, for each bad value, the key, the value and the
     *                                  fix
     */
    public static <T> T read(Map<String, ?> properties, Class<T> type, Logger log) {
        if (!type.isAnnotation()) {
            throw new IllegalArgumentException(type + " is not a configuration annotation type");
        }
        Map<String, Method> byKey = ELEMENTS.get(type);
        Map<String, Object> converted = new HashMap<>();
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        properties.forEach((key, value) -> {
            Method m = byKey.get(key);
            if (m == null) {
                if (FRAMEWORK_PREFIXES.stream().noneMatch(key::startsWith) && !key.endsWith(".target")) {
                    warnings.add(name(properties) + ": key '" + key + "' is not a setting and is ignored; "
                            + suggestion(key, byKey.keySet()));
                }
                return;
            }
            try {
                converted.put(key, convert(value, m.getReturnType()));
            } catch (IllegalArgumentException e) {
                problems.add(key + " = '" + shown(key, value) + "' " + e.getMessage() + defaultHint(m));
            }
        });
        warnings.forEach(log::warn);
        if (!problems.isEmpty()) {
            IllegalArgumentException e = new IllegalArgumentException(name(properties) + " refused: "
                    + String.join("; ", problems) + ". Fix the value" + (problems.size() > 1 ? "s" : "") + " in "
                    + (file(properties) == null ? "the Web Console" : "its file or the Web Console")
                    + "; nothing else is affected.");
            log.error(e.getMessage());
            throw e;
        }
        return settings(type, byKey, converted);
    }

    /**
     * Reads a configuration Config Admin hands a {@code ManagedServiceFactory} ({@link #read}), then checks it with
     * the receiver's own rules: either refusal is logged once, as an ERROR, and thrown.
     *
     * @param check the receiver's check of the values; an {@link IllegalArgumentException} names every problem
     * @return what {@code check} made of the configuration
     */
    public static <T, S> S checked(Dictionary<String, ?> properties, Class<T> type, Function<T, S> check,
            Logger log) {
        Map<String, Object> map = new HashMap<>();
        for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            map.put(key, properties.get(key));
        }
        T config = read(map, type, log);
        try {
            return check.apply(config);
        } catch (IllegalArgumentException e) {
            log.error(e.getMessage());
            throw e;
        }
    }

    /**
     * The annotation's values, each converted once now: the converter's own annotation reads its map again at each
     * call, which made reading 2,000 meters' configurations cost seconds.
     */
    private static <T> T settings(Class<T> type, Map<String, Method> byKey, Map<String, Object> converted) {
        Map<String, Object> values = new HashMap<>();
        byKey.forEach((key, m) -> {
            Object value = converted.containsKey(key) ? converted.get(key) : m.getDefaultValue();
            values.put(m.getName(), Converters.standardConverter().convert(value).to(m.getGenericReturnType()));
        });
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (self, m, args) -> {
            switch (m.getName()) {
                case "annotationType":
                    return type;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return self == args[0];
                case "toString":
                    return type.getSimpleName() + values;
                default:
                    Object v = values.get(m.getName());
                    return v != null && v.getClass().isArray() ? copy(v) : v;
            }
        });
        return type.cast(proxy);
    }

    /** An array value as a fresh copy each call, as an annotation's arrays are. */
    private static Object copy(Object array) {
        int n = Array.getLength(array);
        Object out = Array.newInstance(array.getClass().getComponentType(), n);
        System.arraycopy(array, 0, out, 0, n);
        return out;
    }

    /**
     * How messages name a configuration: its pid and, when it came from a file in {@code conf/}, the file, e.g.
     * {@code configuration pm500.driver.modbus~m7 (conf/pm500.driver.modbus-m7.cfg)}.
     */
    public static String name(Map<String, ?> properties) {
        Object pid = properties.get("service.pid");
        Path file = file(properties);
        return "configuration " + (pid == null ? "(new)" : pid) + (file == null ? "" : " (" + file + ")");
    }

    private static Path file(Map<String, ?> properties) {
        Object name = properties.get("felix.fileinstall.filename");
        if (name == null) {
            return null;
        }
        try {
            String s = name.toString();
            Path p = s.startsWith("file:") ? Path.of(URI.create(s)) : Path.of(s);
            Path cwd = Path.of("").toAbsolutePath();
            return p.startsWith(cwd) ? cwd.relativize(p) : p;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An annotation element's property name by the Declarative Services rules: {@code _password} → {@code .password}. */
    static String key(String method) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (c == '$') {
                if (method.startsWith("$_$", i)) {
                    out.append('-');
                    i += 2;
                } else if (method.startsWith("$$", i)) {
                    out.append('$');
                    i++;
                }
            } else if (c == '_') {
                if (method.startsWith("__", i)) {
                    out.append('_');
                    i++;
                } else {
                    out.append('.');
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static Object convert(Object value, Class<?> target) {
        if (target.isArray()) {
            Class<?> element = target.getComponentType();
            List<Object> parts = new ArrayList<>();
            if (value instanceof String s) {
                splitList(s).forEach(p -> parts.add(convert(p, element)));
            } else if (value instanceof Object[] array) {
                Arrays.stream(array).forEach(p -> parts.add(convert(p, element)));
            } else if (value instanceof Iterable<?> iterable) {
                iterable.forEach(p -> parts.add(convert(p, element)));
            } else if (value != null && value.getClass().isArray()) {
                return Converters.standardConverter().convert(value).to(target); // primitive arrays from .config
            } else if (value != null) {
                parts.add(convert(value, element));
            }
            return parts.toArray(Object[]::new);
        }
        if (value instanceof Object[] array) {
            if (array.length != 1) {
                throw new IllegalArgumentException("is a list; give one value");
            }
            return convert(array[0], target);
        }
        String text = value == null ? "" : value.toString().trim();
        if (target == String.class) {
            return value == null ? "" : value.toString();
        }
        if (target == int.class || target == long.class || target == short.class || target == byte.class) {
            try {
                long n = Long.parseLong(text);
                if (target == int.class && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
                    throw new IllegalArgumentException("is out of range");
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a whole number");
            }
        }
        if (target == double.class || target == float.class) {
            try {
                double d = Double.parseDouble(text);
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw new IllegalArgumentException("is not a finite number");
                }
                return d;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a number");
            }
        }
        if (target == boolean.class) {
            if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(text);
            }
            throw new IllegalArgumentException("is neither true nor false");
        }
        if (target.isEnum()) {
            for (Object constant : target.getEnumConstants()) {
                if (((Enum<?>) constant).name().equalsIgnoreCase(text)) {
                    return constant;
                }
            }
            throw new IllegalArgumentException("is not one of " + Arrays.stream(target.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name()).collect(Collectors.joining(", ")));
        }
        if (target == char.class && text.length() == 1) {
            return text;
        }
        throw new IllegalArgumentException("cannot be read as " + target.getSimpleName());
    }

    /** {@code a, b(c,d) ,e} → {@code [a, b(c,d), e]}; empty parts are dropped. */
    static List<String> splitList(String value) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= value.length(); i++) {
            char c = i < value.length() ? value.charAt(i) : ',';
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            } else if (c == ',' && (depth == 0 || i == value.length())) {
                String part = value.substring(start, Math.min(i, value.length())).trim();
                if (!part.isEmpty()) {
                    parts.add(part);
                }
                start = i + 1;
            }
        }
        return parts;
    }

    private static String shown(String key, Object value) {
        String text = value instanceof Object[] a ? Arrays.toString(a) : String.valueOf(value);
        return key.startsWith(".") ? "********" : text;
    }

    private static String defaultHint(Method m) {
        Object d = m.getDefaultValue();
        if (d == null || d.getClass().isArray()) {
            return "";
        }
        return " (default " + d + ")";
    }

    private static String suggestion(String key, Set<String> known) {
        String lower = key.toLowerCase(Locale.ROOT);
        return known.stream().min(Comparator.comparingInt(k -> distance(lower, k.toLowerCase(Locale.ROOT))))
                .filter(k -> distance(lower, k.toLowerCase(Locale.ROOT)) <= Math.max(2, key.length() / 3))
                .map(k -> "did you mean '" + k + "'?")
                .orElse("known keys: " + String.join(", ", known.stream().sorted().toList()));
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
