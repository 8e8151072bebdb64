package io.pm500.deb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code [Service]} settings of a systemd unit file that say how its process starts, so a test can start the
 * gateway as the unit does where no systemd runs (CI): as {@code User=}/{@code Group=}, in
 * {@code WorkingDirectory=}, with {@code Environment=} and {@code EnvironmentFile=}, {@code UMask=}, and
 * {@code ExecStart=} with systemd's {@code $VAR} expansion (an unbraced variable splits into words).
 */
record ServiceUnit(Map<String, List<String>> settings) {

    static ServiceUnit read(Path file) throws IOException {
        Map<String, List<String>> settings = new LinkedHashMap<>();
        String section = "";
        StringBuilder line = new StringBuilder();
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String trimmed = raw.strip();
            if (line.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";"))) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                line.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            line.append(trimmed);
            String whole = line.toString();
            line.setLength(0);
            if (whole.startsWith("[")) {
                section = whole;
            } else if (section.equals("[Service]")) {
                int eq = whole.indexOf('=');
                settings.computeIfAbsent(whole.substring(0, eq).strip(), k -> new ArrayList<>())
                        .add(whole.substring(eq + 1).strip());
            }
        }
        return new ServiceUnit(settings);
    }

    /** The last value of a setting, or null. */
    String get(String key) {
        List<String> values = settings.get(key);
        return values == null ? null : values.get(values.size() - 1);
    }

    /** Environment=, then the variables of EnvironmentFile= (a leading '-' means "if it exists"). */
    Map<String, String> environment() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String assignment : settings.getOrDefault("Environment", List.of())) {
            for (String word : assignment.split("\\s+")) {
                int eq = word.indexOf('=');
                env.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        for (String name : settings.getOrDefault("EnvironmentFile", List.of())) {
            Path file = Path.of(name.startsWith("-") ? name.substring(1) : name);
            if (!Files.exists(file) && name.startsWith("-")) {
                continue;
            }
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String t = l.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                int eq = t.indexOf('=');
                String value = t.substring(eq + 1);
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                env.put(t.substring(0, eq), value);
            }
        }
        return env;
    }

    /** ExecStart's words with {@code $VAR} (split into words) and {@code ${VAR}} (one word) expanded. */
    List<String> execStart(Map<String, String> env) {
        List<String> words = new ArrayList<>();
        for (String word : get("ExecStart").split("\\s+")) {
            if (word.startsWith("${") && word.endsWith("}")) {
                words.add(env.getOrDefault(word.substring(2, word.length() - 1), ""));
            } else if (word.startsWith("$")) {
                String value = env.getOrDefault(word.substring(1), "").strip();
                if (!value.isEmpty()) {
                    words.addAll(List.of(value.split("\\s+")));
                }
            } else {
                words.add(word);
            }
        }
        return words;
    }

    /**
     * The command that starts ExecStart as the unit's user and group with its umask, through util-linux's
     * {@code setpriv} (what systemd does before exec, less the sandbox, which needs systemd itself).
     */
    ProcessBuilder start() throws IOException {
        Map<String, String> env = environment();
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + get("User"), "--regid=" + get("Group"),
                "--init-groups", "--", "sh", "-c", "umask " + get("UMask") + " && exec \"$@\"", "sh"));
        command.addAll(execStart(env));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of(get("WorkingDirectory")).toFile());
        // systemd's environment for a system service: its PATH, the user's identity, nothing inherited
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        builder.environment().put("USER", get("User"));
        builder.environment().put("LOGNAME", get("User"));
        builder.environment().putAll(env);
        return builder;
    }
}
