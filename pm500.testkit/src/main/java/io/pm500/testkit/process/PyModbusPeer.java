package io.pm500.testkit.process;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Modbus TCP servers we did not write: Debian's pymodbus ({@code python3-pymodbus}) running
 * {@code pymodbus_meter.py} (beside this class) in its own process, one server per {@link Server} on an ephemeral
 * loopback port. Counts what arrives on the wire per server (connections, request frames). Start it once per test
 * class; {@link #close()} stops the process by its PID.
 */
public final class PyModbusPeer implements AutoCloseable {
    /** Debian's interpreter, where {@code apt-get install python3-pymodbus} puts the library. */
    public static final String PYTHON = System.getProperty("pm500.python", "/usr/bin/python3");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A register value, encoded by pymodbus: {@code type} is the profile's field type. */
    public record Register(int fc, int address, String type, String value, Integer words) {
    }

    /**
     * One server: {@code behaviour} is {@code normal}, {@code late}, {@code wrong-tid}, {@code close-after-reply}
     * or {@code never-answer}; it answers only {@code unit}; {@code omit} lists [fc, start, count] ranges it lacks
     * (exception 2); {@code wordOrder} HIGH_FIRST or LOW_FIRST for its multi-word values.
     */
    public record Server(String name, String behaviour, int unit, int delayMillis, List<int[]> omit, String wordOrder) {
        public static Server normal(String name) {
            return new Server(name, "normal", 1, 0, List.of(), "HIGH_FIRST");
        }

        public static Server of(String name, String behaviour) {
            return new Server(name, behaviour, 1, 0, List.of(), "HIGH_FIRST");
        }
    }

    private final Process process;
    private final Map<String, Integer> ports;
    private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final StringBuilder errors = new StringBuilder();

    public PyModbusPeer(List<Register> registers, List<Server> servers) throws Exception {
        Path dir = Files.createTempDirectory("pymodbus-peer");
        Path script = dir.resolve("pymodbus_meter.py");
        try (InputStream in = PyModbusPeer.class.getResourceAsStream("pymodbus_meter.py")) {
            Files.copy(in, script);
        }
        Path spec = dir.resolve("spec.json");
        JSON.writeValue(spec.toFile(), Map.of("registers", registers, "servers", servers));
        try {
            process = new ProcessBuilder(PYTHON, script.toString(), spec.toString()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + PYTHON + " for the pymodbus peer: install Debian's"
                    + " python3 and python3-pymodbus (apt-get install python3-pymodbus; .ci/run does)", e);
        }
        CountDownLatch ready = new CountDownLatch(1);
        AtomicReference<Map<String, Integer>> found = new AtomicReference<>();
        Thread out = new Thread(() -> read(process.getInputStream(), line -> {
            if (line.startsWith("ready ")) {
                try {
                    found.set(JSON.readerForMapOf(Integer.class).readValue(line.substring(6)));
                } catch (IOException e) {
                    throw new IllegalStateException(line, e);
                }
                ready.countDown();
            } else if (line.startsWith("conn ")) {
                connections.computeIfAbsent(line.substring(5), k -> new AtomicInteger()).incrementAndGet();
            } else if (line.startsWith("req ")) {
                requests.computeIfAbsent(line.split(" ")[1], k -> new AtomicInteger()).incrementAndGet();
            }
        }), "pymodbus-peer-out");
        Thread err = new Thread(() -> read(process.getErrorStream(), line -> {
            synchronized (errors) {
                errors.append(line).append('\n');
            }
        }), "pymodbus-peer-err");
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
        if (!ready.await(30, TimeUnit.SECONDS)) {
            close();
            synchronized (errors) {
                throw new IllegalStateException("the pymodbus peer did not start (is Debian's python3-pymodbus"
                        + " installed? apt-get install python3-pymodbus): " + errors);
            }
        }
        ports = Map.copyOf(found.get());
    }

    private static void read(InputStream in, java.util.function.Consumer<String> each) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                each.accept(line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    public int port(String server) {
        return ports.get(server);
    }

    /** Connections the server accepted so far. */
    public int connections(String server) {
        AtomicInteger n = connections.get(server);
        return n == null ? 0 : n.get();
    }

    /** Request frames that reached the server so far. */
    public int requests(String server) {
        AtomicInteger n = requests.get(server);
        return n == null ? 0 : n.get();
    }

    /** Stops the process by its PID (and waits for it). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
