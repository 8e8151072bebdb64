package io.pm500.demo;

import io.questdb.ServerMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real time-series database for the InfluxDB sink: QuestDB, embedded, on 127.0.0.1. It takes line protocol on
 * {@code /api/v2/write} and {@code /write} exactly as InfluxDB clients send it, answers SQL on {@code /exec}, and
 * serves its web console on the same port. Only its HTTP server runs (no PostgreSQL wire, no raw ILP sockets).
 * Data stays in its directory, so a stop and start on the same port is a historian outage, not a new database.
 */
public final class Historian implements AutoCloseable {
    private final Path dir;
    private final int port;
    private ServerMain server;

    private Historian(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts on 127.0.0.1:port (0: a free port) with its data in {@code dir}. */
    public static Historian start(Path dir, int port) {
        Historian h = new Historian(dir, port == 0 ? LoopbackPorts.free() : port);
        h.start();
        return h;
    }

    /** Starts again (after {@link #stop()}) on the same port with the same data. */
    public synchronized void start() {
        try {
            // QuestDB logs every request to stdout by default: errors only, to a file beside its data. Its log
            // configuration is JVM-wide, named by the system property "out", and read when its logging first starts.
            Path logConf = Files.createDirectories(dir.resolve("conf")).resolve("pm500-log.conf");
            Files.writeString(logConf, "writers=file\n"
                    + "w.file.class=io.questdb.log.LogFileWriter\n"
                    + "w.file.location=" + Files.createDirectories(dir.resolve("log")).resolve("questdb.log")
                            .toAbsolutePath() + "\n"
                    + "w.file.level=ERROR,CRITICAL\n");
            if (System.getProperty("out") == null) {
                System.setProperty("out", logConf.toAbsolutePath().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("historian: cannot prepare " + dir, e);
        }
        server = ServerMain.create(dir.toString(), Map.of(
                "QDB_HTTP_BIND_TO", "127.0.0.1:" + port,
                "QDB_HTTP_MIN_ENABLED", "false",
                "QDB_PG_ENABLED", "false",
                "QDB_LINE_TCP_ENABLED", "false",
                "QDB_LINE_UDP_ENABLED", "false",
                "QDB_TELEMETRY_ENABLED", "false",
                // a small box beside the meters: two threads serve HTTP, two apply writes
                "QDB_HTTP_WORKER_COUNT", "2",
                "QDB_SHARED_WORKER_COUNT", "2"));
        server.start();
    }

    public synchronized void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** {@code http://127.0.0.1:port}: the write, query and web console address. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Blocks until the rows committed to {@code table} so far are visible to queries (the WAL is applied later). */
    public void awaitTable(String table) {
        ServerMain s;
        synchronized (this) {
            s = server;
        }
        s.awaitTable(table);
    }

    @Override
    public void close() {
        stop();
    }
}
