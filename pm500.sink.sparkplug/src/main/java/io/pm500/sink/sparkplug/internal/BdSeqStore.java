package io.pm500.sink.sparkplug.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The birth/death sequence number, kept under {@code data/} so a restarted gateway goes on from the last value:
 * a host must be able to tell a new session's NDEATH from an old one's (Sparkplug 3.0 §6.4.5: 0 on the first
 * connect, +1 on every CONNECT, 255 → 0).
 */
final class BdSeqStore {
    private final Path file;

    BdSeqStore(Path file) {
        this.file = file;
    }

    /** The value for the next CONNECT, written to disk before it is used. */
    synchronized long next() throws IOException {
        long next = last().map(v -> (v + 1) % 256).orElse(0L);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, Long.toString(next), StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return next;
    }

    /** The last value used; a missing or unreadable file counts as none (the next connect then uses 0). */
    Optional<Long> last() {
        try {
            long v = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
            return v >= 0 && v <= 255 ? Optional.of(v) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
