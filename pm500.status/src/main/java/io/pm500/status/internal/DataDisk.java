package io.pm500.status.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.osgi.framework.BundleContext;

/** The file system that holds {@code data/} (the outboxes): where it is and how much room is left. */
record DataDisk(Path directory) {

    static DataDisk of(BundleContext context) {
        String dir = context.getProperty("pm500.data.dir");
        return new DataDisk(Path.of(dir == null ? "data" : dir).toAbsolutePath());
    }

    /** Usable bytes; 0 when the directory is gone (no room for anything). */
    long freeBytes() {
        try {
            return Files.getFileStore(directory).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }
}
