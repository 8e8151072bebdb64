package io.pm500.runtime.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/** The file that keeps the Web Console password hash: written whole or not at all, readable by its owner only. */
final class CredentialStore {
    private static final String HEADER = "# PM500 Web Console password hash. Set a new password with 'pm500"
            + " set-password', or delete this file and restart to get one generated and printed on the terminal.";

    private final Path file;

    CredentialStore(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /**
     * What identifies this version of the file without reading it (modification time and inode, as a replacement
     * by rename changes both), or "absent".
     */
    Object stamp() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), String.valueOf(a.fileKey()), a.size());
        } catch (IOException e) {
            return "absent";
        }
    }

    Optional<PasswordHash> load() throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines) {
            if (!line.isBlank() && !line.startsWith("#")) {
                try {
                    return Optional.of(PasswordHash.parse(line));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": " + e.getMessage()
                            + " (delete the file and restart to generate a new password)", e);
                }
            }
        }
        throw new IOException(file + " holds no password hash (delete the file and restart to generate a new password)");
    }

    void store(PasswordHash hash) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, HEADER + "\n" + hash.format() + "\n", StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
