package io.pm500.profile;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.FieldType;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.ModbusSection;
import io.pm500.api.profile.PointKind;
import io.pm500.api.profile.Transform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads device profiles from JSON (format: {@code docs/device-profiles.md}, schema: {@code pm500-profile.schema.json})
 * and checks every rule, so a profile that loads is safe to decode with. Errors name the file, the line and the
 * field, and say what to do.
 */
public final class DeviceProfiles {
    /** The built-in profile name. */
    public static final String PM500 = "pm500";
    private static final int FORMAT_VERSION = 1;
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .addMixIn(DeviceProfile.class, SchemaReference.class)
            .build();

    /** Lets a profile name its JSON schema ({@code "$schema"}) for editors without the model knowing about it. */
    @JsonIgnoreProperties("$schema")
    private interface SchemaReference {
    }

    private DeviceProfiles() {
    }

    /**
     * A built-in profile by name ({@value #PM500}) or a profile file by path: what a meter's {@code profile}
     * setting holds.
     */
    public static DeviceProfile resolve(String nameOrPath) throws ProfileException {
        if (PM500.equalsIgnoreCase(nameOrPath.trim())) {
            return builtIn(PM500);
        }
        Path file = Path.of(nameOrPath.trim());
        if (!Files.isRegularFile(file)) {
            throw new ProfileException("device profile '" + nameOrPath + "' is neither a built-in profile ("
                    + PM500 + ") nor a readable file: give the name of a built-in profile or the path of a JSON"
                    + " profile file", null);
        }
        return load(file);
    }

    public static DeviceProfile builtIn(String name) throws ProfileException {
        String resource = name + ".json";
        try (InputStream in = DeviceProfiles.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ProfileException("no built-in device profile '" + name + "'", null);
            }
            return parse("built-in profile " + resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ProfileException("cannot read built-in device profile '" + name + "': " + e, e);
        }
    }

    public static DeviceProfile load(Path file) throws ProfileException {
        try {
            return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ProfileException(file + ": cannot read the device profile (" + e.getMessage()
                    + "): check the path and the file's permissions", e);
        }
    }

    /** Parses and checks a profile; {@code source} names it in error messages. */
    public static DeviceProfile parse(String source, String json) throws ProfileException {
        DeviceProfile profile;
        Collector collector = new Collector(json);
        try {
            profile = MAPPER.readerFor(DeviceProfile.class).withHandler(collector).readValue(json);
        } catch (JsonMappingException e) {
            collector.problems.add(where(e.getLocation()) + path(e) + ": " + problem(e));
            throw collector.exception(source, e);
        } catch (JsonProcessingException e) {
            throw new ProfileException(source + ": " + where(e.getLocation()) + "not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (!collector.problems.isEmpty()) {
            throw collector.exception(source, null);
        }
        List<Violation> violations = new Checker(profile).check();
        if (!violations.isEmpty()) {
            StringBuilder message = new StringBuilder(source).append(": ").append(violations.size())
                    .append(violations.size() == 1 ? " problem" : " problems");
            for (Violation v : violations) {
                int line = lineOf(json, v.path());
                message.append("\n  ").append(line > 0 ? "line " + line + ": " : "").append(render(v.path()))
                        .append(": ").append(v.message());
            }
            throw new ProfileException(message.toString(), null);
        }
        return profile;
    }

    /** The line of the value at the path or, when it is absent, of the nearest enclosing value. */
    private static int lineOf(String json, List<Object> path) {
        for (int length = path.size(); length > 0; length--) {
            int line = JsonLocator.line(json, path.subList(0, length));
            if (line > 0) {
                return line;
            }
        }
        return 0;
    }

    private static String where(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? ""
                : "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": ";
    }

    private static String path(JsonMappingException e) {
        List<Object> path = new ArrayList<>();
        for (JsonMappingException.Reference ref : e.getPath()) {
            path.add(ref.getFieldName() != null ? ref.getFieldName() : ref.getIndex());
        }
        return path.isEmpty() ? "(top level)" : render(path);
    }

    private static String problem(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "': remove it, or fix its spelling (known here: "
                    + u.getKnownPropertyIds() + ")";
        }
        return e.getOriginalMessage().split("\n")[0];
    }

    /**
     * Collects every unknown field, bad enum constant and value of the wrong type while binding, instead of stopping
     * at the first, so one round of editing fixes them all. Rule violations are checked once the file binds.
     */
    private static final class Collector extends DeserializationProblemHandler {
        final List<String> problems = new ArrayList<>();
        private final String json;

        Collector(String json) {
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
            String where = where(p.currentTokenLocation());
            int line = where.isEmpty() ? lineOf(json, path) : 0;
            problems.add((line > 0 ? "line " + line + ": " : where) + (path.isEmpty() ? "(top level)" : render(path))
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

    static String render(List<Object> path) {
        StringBuilder b = new StringBuilder();
        for (Object element : path) {
            if (element instanceof Integer i) {
                b.append('[').append(i).append(']');
            } else {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(element);
            }
        }
        return b.toString();
    }

    private record Violation(List<Object> path, String message) {
    }

    /** The rules a bound profile must also keep. */
    private static final class Checker {
        private final DeviceProfile p;
        private final List<Violation> violations = new ArrayList<>();

        Checker(DeviceProfile profile) {
            this.p = profile;
        }

        List<Violation> check() {
            if (p.profileVersion() != FORMAT_VERSION) {
                fail(List.of("profileVersion"), "is " + p.profileVersion() + "; this gateway reads version "
                        + FORMAT_VERSION);
            }
            if (p.model() == null || p.model().isBlank()) {
                fail(List.of("model"), "is missing: name the meter model");
            }
            if (p.points().isEmpty()) {
                fail(List.of("points"), "is empty: a profile defines at least one point");
            }
            p.points().forEach((id, point) -> {
                if (point.kind() == null) {
                    fail(List.of("points", id, "kind"), "is missing: say what the point measures");
                }
                if (!point.bits().isEmpty() && point.kind() != PointKind.STATUS_BITS) {
                    fail(List.of("points", id, "bits"), "only a STATUS_BITS point names bits");
                }
            });
            checkCip();
            checkModbus();
            return violations;
        }

        private void checkCip() {
            Set<String> ids = new HashSet<>();
            Set<String> pointsRead = new HashSet<>();
            Set<String> addresses = new HashSet<>();
            List<CipBlock> blocks = p.cip().blocks();
            for (int b = 0; b < blocks.size(); b++) {
                CipBlock block = blocks.get(b);
                List<Object> at = List.of("cip", "blocks", b);
                blockId(block.id(), ids, at);
                range(at, "classId", block.classId(), 1, 0xFFFF);
                range(at, "instance", block.instance(), 1, 0xFFFF);
                range(at, "attribute", block.attribute(), 1, 0xFF);
                if (!addresses.add(block.classId() + "/" + block.instance() + "/" + block.attribute())) {
                    fail(at, "reads class " + block.classId() + " instance " + block.instance() + " attribute "
                            + block.attribute() + " like an earlier block: merge them");
                }
                int words = fields(block.fields(), at, pointsRead, false);
                if (block.size() != words * 2) {
                    fail(append(at, "size"), "is " + block.size() + " bytes but the fields take " + words * 2
                            + ": fix the size or the fields");
                }
            }
        }

        private void checkModbus() {
            ModbusSection modbus = p.modbus();
            if (modbus.blocks().isEmpty()) {
                return;
            }
            range(List.of("modbus"), "maxRegistersPerRequest", modbus.maxRegistersPerRequest(), 1, 125);
            Set<String> ids = new HashSet<>();
            Set<String> pointsRead = new HashSet<>();
            Map<Integer, TreeMap<Integer, String>> taken = new HashMap<>();
            List<ModbusBlock> blocks = modbus.blocks();
            for (int b = 0; b < blocks.size(); b++) {
                ModbusBlock block = blocks.get(b);
                List<Object> at = List.of("modbus", "blocks", b);
                blockId(block.id(), ids, at);
                if (block.functionCode() != 3 && block.functionCode() != 4) {
                    fail(append(at, "functionCode"), "is " + block.functionCode()
                            + ": blocks are read with 3 (holding registers) or 4 (input registers)");
                }
                fields(block.fields(), at, pointsRead, true);
                TreeMap<Integer, String> used = taken.computeIfAbsent(block.functionCode(), fc -> new TreeMap<>());
                for (int f = 0; f < block.fields().size(); f++) {
                    Field field = block.fields().get(f);
                    int wire = modbus.wireAddress(field.address());
                    List<Object> fieldAt = append(append(at, "fields"), f);
                    if (wire < 0 || wire + field.wordCount() > 0x10000) {
                        fail(append(fieldAt, "address"), field.address() + " is outside " + modbus.addressBase()
                                + ".." + (modbus.addressBase() + 0xFFFF) + " (addressBase " + modbus.addressBase()
                                + ")");
                        continue;
                    }
                    for (int r = wire; r < wire + field.wordCount(); r++) {
                        String previous = used.put(r, field.point());
                        if (previous != null) {
                            fail(append(fieldAt, "address"), "register " + (r + modbus.addressBase())
                                    + " is already read for point '" + previous + "'");
                            break;
                        }
                    }
                }
            }
        }

        /** Checks the fields and returns the words they take. */
        private int fields(List<Field> fields, List<Object> at, Set<String> pointsRead, boolean modbus) {
            if (fields.isEmpty()) {
                fail(append(at, "fields"), "is empty: a block reads at least one field");
            }
            int words = 0;
            for (int f = 0; f < fields.size(); f++) {
                Field field = fields.get(f);
                List<Object> fieldAt = append(append(at, "fields"), f);
                if (field.point() == null || !p.points().containsKey(field.point())) {
                    fail(append(fieldAt, "point"), "'" + field.point() + "' is not defined under points: add it"
                            + " there or fix the id");
                } else if (!pointsRead.add(field.point())) {
                    fail(append(fieldAt, "point"), "'" + field.point() + "' is already read by another field");
                }
                if (field.type() == null) {
                    fail(append(fieldAt, "type"), "is missing: one of INT, UINT, DINT, UDINT, ULINT, REAL,"
                            + " REAL_PAIR, STRING");
                    continue;
                }
                if (field.type() == FieldType.STRING ? field.words() < 1 : field.words() != 0) {
                    fail(append(fieldAt, "words"), field.type() == FieldType.STRING
                            ? "a STRING needs its length in words (1 or more)" : "only a STRING has words");
                }
                if ((field.type() == FieldType.REAL_PAIR) != (field.factor() > 0)) {
                    fail(append(fieldAt, "factor"), field.type() == FieldType.REAL_PAIR
                            ? "a REAL_PAIR needs a positive factor (value = high × factor + low)"
                            : "only a REAL_PAIR has a factor");
                }
                if (modbus == (field.address() == 0)) {
                    fail(append(fieldAt, "address"), modbus ? "a Modbus field needs its documented address"
                            : "CIP fields follow each other and take no address");
                }
                if (field.transform() != Transform.NONE && (field.type() == FieldType.REAL
                        || field.type() == FieldType.REAL_PAIR || field.type() == FieldType.STRING)) {
                    fail(append(fieldAt, "transform"), field.transform() + " applies to integer types only");
                }
                words += field.wordCount();
            }
            return words;
        }

        private void blockId(String id, Set<String> ids, List<Object> at) {
            if (id == null || id.isBlank()) {
                fail(append(at, "id"), "is missing: give the block an id");
            } else if (!ids.add(id)) {
                fail(append(at, "id"), "'" + id + "' is used by another block: ids are unique");
            }
        }

        private void range(List<Object> at, String name, int value, int min, int max) {
            if (value < min || value > max) {
                fail(append(at, name), "is " + value + ", must be " + min + ".." + max);
            }
        }

        private void fail(List<Object> path, String message) {
            violations.add(new Violation(path, message));
        }

        private static List<Object> append(List<Object> path, Object element) {
            List<Object> result = new ArrayList<>(path);
            result.add(element);
            return result;
        }
    }
}
