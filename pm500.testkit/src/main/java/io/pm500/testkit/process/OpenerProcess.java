package io.pm500.testkit.process;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * An EtherNet/IP adapter we did not write: the build of OpENer in the project's {@code shared/peers/opener/}, run
 * in its own process and working directory. It listens on the fixed port {@value #PORT} of every interface, so
 * tests that use it run one at a time. Its sample application copies what is written to assembly 150 into
 * assembly 100 ({@link #write}); {@link #profile()} describes it as a device profile.
 */
public final class OpenerProcess extends PeerProcess {
    public static final int PORT = 44818;
    private static final String BINARY = "shared/peers/opener/OpENer";

    private final Path home;
    private final Path binary;

    private OpenerProcess(Path binary, Path home) {
        this.binary = binary;
        this.home = home;
    }

    /** Starts OpENer and waits until it accepts connections; fails (never skips) when it cannot. */
    public static OpenerProcess start() throws IOException, InterruptedException {
        Path home = Files.createTempDirectory("opener");
        Path copy = home.resolve("OpENer");
        Files.copy(find(), copy, StandardCopyOption.REPLACE_EXISTING);
        if (!copy.toFile().setExecutable(true)) {
            throw new IOException("cannot make " + copy + " executable");
        }
        OpenerProcess opener = new OpenerProcess(copy, home);
        opener.run();
        return opener;
    }

    /** The binary: {@code -Dpm500.opener=<path>}, else {@value #BINARY} in this folder or one above it. */
    static Path find() throws IOException {
        String given = System.getProperty("pm500.opener");
        if (given != null) {
            return Path.of(given);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(BINARY);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IOException("OpENer not found: no " + BINARY + " in " + Path.of("").toAbsolutePath()
                + " or a folder above it; the project's shared/ folder must sit beside the checkout (or set"
                + " -Dpm500.opener=<path>)");
    }

    /** (Re)starts the process on the same working directory; waits until TCP {@value #PORT} accepts. */
    public void run() throws IOException, InterruptedException {
        if (accepts(PORT)) {
            throw new IOException("something already listens on TCP " + PORT + " (another OpENer?): stop it first");
        }
        process = new ProcessBuilder(binary.toString(), "lo").directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(home.resolve("opener.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!accepts(PORT)) {
            if (!process.isAlive()) {
                throw new IOException("OpENer exited with " + process.exitValue() + ": "
                        + Files.readString(home.resolve("opener.log")));
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IOException("OpENer did not accept TCP " + PORT + " within 10 s");
            }
            Thread.sleep(50);
        }
    }

    /** A device profile for OpENer's sample application, as a file: assembly 100 as eight REALs. */
    public static Path profile() throws IOException {
        Path file = Files.createTempFile("opener-profile", ".json");
        try (InputStream in = OpenerProcess.class.getResourceAsStream("opener-profile.json")) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    /**
     * Writes eight REALs into assembly 150 (which OpENer copies into 100) with an explicit Set_Attribute_Single
     * (0x10, class 4, instance 150, attribute 3) of our own over an unconnected EtherNet/IP session.
     */
    public static void write(float... values) throws IOException {
        if (values.length != 8) {
            throw new IllegalArgumentException("assembly 150 holds eight REALs");
        }
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            data.putFloat(v);
        }
        set(4, 150, 3, data.array());
    }

    /**
     * Sets the encapsulation inactivity timeout (TCP/IP object 0xF5, attribute 13, seconds; 120 by default): a
     * session without a request for that long is closed by the adapter.
     */
    public static void inactivityTimeout(int seconds) throws IOException {
        set(0xF5, 1, 13, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) seconds).array());
    }

    /** One Set_Attribute_Single (0x10) of our own over an unconnected session; a refusal is an exception. */
    private static void set(int classId, int instance, int attribute, byte[] value) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", PORT), 2000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.write(frame(0x65, 0, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 1)
                    .putShort((short) 0).array()));
            ByteBuffer registered = read(in);
            int session = registered.getInt(4);
            ByteBuffer cip = ByteBuffer.allocate(8 + value.length).order(ByteOrder.LITTLE_ENDIAN);
            cip.put((byte) 0x10).put((byte) 3).put(new byte[] { 0x20, (byte) classId, 0x24, (byte) instance, 0x30,
                    (byte) attribute }).put(value);
            ByteBuffer rr = ByteBuffer.allocate(16 + cip.capacity()).order(ByteOrder.LITTLE_ENDIAN);
            rr.putInt(0).putShort((short) 0).putShort((short) 2).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0xB2).putShort((short) cip.capacity()).put(cip.array());
            out.write(frame(0x6F, session, rr.array()));
            ByteBuffer reply = read(in);
            int general = reply.get(24 + 16 + 2) & 0xff;
            if (reply.getInt(8) != 0 || general != 0) {
                throw new IOException("Set_Attribute_Single on " + Integer.toHexString(classId) + "/" + instance + "/"
                        + attribute + " refused: encapsulation status " + reply.getInt(8) + ", CIP general status 0x"
                        + Integer.toHexString(general));
            }
            out.write(frame(0x66, session, new byte[0]));
        }
    }

    private static byte[] frame(int command, int session, byte[] data) {
        return ByteBuffer.allocate(24 + data.length).order(ByteOrder.LITTLE_ENDIAN).putShort((short) command)
                .putShort((short) data.length).putInt(session).putInt(0).putLong(0).putInt(0).put(data).array();
    }

    private static ByteBuffer read(DataInputStream in) throws IOException {
        byte[] header = new byte[24];
        in.readFully(header);
        int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xffff;
        byte[] all = new byte[24 + length];
        System.arraycopy(header, 0, all, 0, 24);
        in.readFully(all, 24, length);
        return ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    }
}
