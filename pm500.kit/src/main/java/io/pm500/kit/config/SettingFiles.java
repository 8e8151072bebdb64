package io.pm500.kit.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * File settings of components (certificates, keys, secret files), checked the same way everywhere so that a bad
 * path refuses activation with a message naming the component, the setting and the fix.
 */
public final class SettingFiles {
    private SettingFiles() {
    }

    /**
     * An optional file setting: empty means none; otherwise it must be a readable file.
     *
     * @param owner   the component, e.g. {@code sparkplug}
     * @param setting the configuration key, e.g. {@code caFile}
     */
    public static Path optionalFile(String owner, String setting, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Path p = Path.of(value.trim());
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException(owner + ": " + setting + " '" + value + "' is not a readable file;"
                    + " fix the path or the file's permissions");
        }
        return p;
    }

    /**
     * A secret from the configuration, or the first line of a secret file (a secret mounted by the plant's tooling)
     * when one is given; null when neither is set. Never put the result in a message.
     *
     * @param fileSetting the key of the file setting, e.g. {@code passwordFile}
     */
    public static byte[] secret(String owner, String fileSetting, String configured, String file) {
        Path p = optionalFile(owner, fileSetting, file);
        if (p == null) {
            return configured == null || configured.isEmpty() ? null : configured.getBytes(StandardCharsets.UTF_8);
        }
        try {
            String content = Files.readString(p, StandardCharsets.UTF_8);
            int eol = content.indexOf('\n');
            return (eol < 0 ? content : content.substring(0, eol)).strip().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(owner + ": " + fileSetting + " '" + file + "' cannot be read: " + e);
        }
    }
}
