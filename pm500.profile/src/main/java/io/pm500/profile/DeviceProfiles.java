package io.pm500.profile;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pm500.api.profile.DeviceProfile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads device profiles from JSON (format: {@code docs/device-profiles.md}, schema: {@code pm500-profile.schema.json})
 * and checks every rule, so a profile that loads is safe to decode with. Errors name the file, the line and the
 * field, and say what to do.
 */
public final class DeviceProfiles {
    /** The built-in profiles parsed so far, by name. */
    private static final Map<String, DeviceProfile> BUILT_IN = new ConcurrentHashMap<>();
    /** The built-in profile name. */
    public static final String PM500 = "pm500";
    static final int FORMAT_VERSION = 1;
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
        DeviceProfile cached = BUILT_IN.get(name);
        if (cached != null) {
            return cached; // immutable: parsed once, not once per meter (2,000 meters spent 0.8 s parsing)
        }
        DeviceProfile parsed = parseBuiltIn(name);
        BUILT_IN.put(name, parsed);
        return parsed;
    }

    private static DeviceProfile parseBuiltIn(String name) throws ProfileException {
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
        BindingProblems collector = new BindingProblems(json);
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
        List<ProfileRules.Violation> violations = new ProfileRules(profile).check();
        if (!violations.isEmpty()) {
            StringBuilder message = new StringBuilder(source).append(": ").append(violations.size())
                    .append(violations.size() == 1 ? " problem" : " problems");
            for (ProfileRules.Violation v : violations) {
                int line = lineOf(json, v.path());
                message.append("\n  ").append(line > 0 ? "line " + line + ": " : "").append(render(v.path()))
                        .append(": ").append(v.message());
            }
            throw new ProfileException(message.toString(), null);
        }
        return profile;
    }

    /** The line of the value at the path or, when it is absent, of the nearest enclosing value. */
    static int lineOf(String json, List<Object> path) {
        for (int length = path.size(); length > 0; length--) {
            int line = JsonLocator.line(json, path.subList(0, length));
            if (line > 0) {
                return line;
            }
        }
        return 0;
    }

    static String where(JsonLocation location) {
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
}
