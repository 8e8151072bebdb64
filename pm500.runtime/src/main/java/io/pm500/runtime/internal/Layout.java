package io.pm500.runtime.internal;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.slf4j.LoggerFactory;

/**
 * The gateway's working directories, from framework properties (relative paths resolve against the working
 * directory the gateway was started in).
 *
 * @param conf   {@code pm500.conf.dir}: configuration files, read by {@link ConfFolder}
 * @param deploy {@code pm500.deploy.dir}: bundle jars, installed when dropped in, uninstalled when removed
 * @param data   {@code pm500.data.dir}: durable state (console password hash, outboxes, Sparkplug bdSeq)
 * @param logs   {@code pm500.logs.dir}: log files
 */
record Layout(Path conf, Path deploy, Path data, Path logs) {

    static Layout of(BundleContext context) {
        return new Layout(dir(context, "pm500.conf.dir", "conf"), dir(context, "pm500.deploy.dir", "deploy"),
                dir(context, "pm500.data.dir", "data"), dir(context, "pm500.logs.dir", "logs"));
    }

    private static Path dir(BundleContext context, String property, String fallback) {
        String value = context.getProperty(property);
        return Path.of(value == null || value.isBlank() ? fallback : value).toAbsolutePath().normalize();
    }

    /**
     * Creates the directories that do not exist yet (FileInstall only watches a deploy/ that exists) and makes
     * {@code data/} and {@code logs/} owner-only: they hold sealed secrets, the password hash, readings and the audit
     * log, which other users of the machine have no business reading.
     */
    void create() throws IOException {
        for (Path dir : List.of(conf, deploy, data, logs)) {
            Files.createDirectories(dir);
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            for (Path dir : List.of(data, logs)) {
                try {
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                } catch (IOException e) {
                    // e.g. a directory another user owns: the gateway still runs, and says so
                    LoggerFactory.getLogger(Layout.class).warn("Cannot make {} readable by its owner only ({}); make"
                            + " the gateway's user its owner, or chmod 700 it yourself", dir, e.toString());
                }
            }
        }
    }
}
