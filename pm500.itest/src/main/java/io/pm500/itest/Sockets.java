package io.pm500.itest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the kernel says about this machine's TCP connections. Linux only, as the gateway's boxes and CI are. */
final class Sockets {
    private Sockets() {
    }

    /**
     * Established TCP connections whose remote end is {@code port}, from /proc/net/tcp: a client's side of its
     * connections to a server on that port (the server's side has the port as its local one).
     */
    static long establishedTo(int port) {
        String hexPort = String.format(":%04X", port);
        long n = 0;
        for (String file : new String[] { "/proc/net/tcp", "/proc/net/tcp6" }) {
            Path path = Path.of(file);
            if (!Files.exists(path)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(path)) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st …; st 01 = ESTABLISHED
                    if (f.length > 3 && f[2].endsWith(hexPort) && f[3].equals("01")) {
                        n++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n;
    }
}
