package io.pm500.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.profile.DeviceProfiles;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulator behaves like a device, not like our driver's friend: an idle Class 3 connection times out and its
 * socket closes; a Class 1 Forward_Open is refused; UDP ListIdentity is answered. Raw frames, no client library.
 */
class DeviceBehaviourTest {
    private static Simulator simulator;

    @BeforeAll
    static void start() throws Exception {
        simulator = new Simulator(DeviceProfiles.builtIn("pm500"), 1, "127.0.0.1", 0, 3, System::nanoTime);
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    /** One TCP connection with a registered session. */
    private static final class Session implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final int handle;

        Session() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), simulator.enipPort(0));
            socket.setSoTimeout(5000);
            in = new DataInputStream(socket.getInputStream());
            send(0x65, 0, le(4).putShort((short) 1).putShort((short) 0));
            handle = read().getInt(4);
        }

        void send(int command, int session, ByteBuffer data) throws IOException {
            byte[] body = java.util.Arrays.copyOf(data.array(), data.position());
            socket.getOutputStream().write(le(24 + body.length).putShort((short) command)
                    .putShort((short) body.length).putInt(session).putInt(0).putLong(0).putInt(0).put(body).array());
        }

        ByteBuffer read() throws IOException {
            byte[] header = new byte[24];
            in.readFully(header);
            int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xffff;
            byte[] all = java.util.Arrays.copyOf(header, 24 + length);
            in.readFully(all, 24, length);
            return ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Forward_Open (0x54) to the message router; returns the CIP reply (service, status, extended...). */
        ByteBuffer forwardOpen(int transport, int rpiMicros, int multiplierCode) throws IOException {
            ByteBuffer cip = le(64).put((byte) 0x54).put((byte) 2).put(new byte[] { 0x20, 0x06, 0x24, 0x01 });
            cip.put((byte) 0x0A).put((byte) 0x0E).putInt(0).putInt(0x1234).putShort((short) 0x77)
                    .putShort((short) 0xFF50).putInt(0x5EED).put((byte) multiplierCode).put(new byte[3])
                    .putInt(rpiMicros).putShort((short) 0x43F4).putInt(rpiMicros).putShort((short) 0x43F4)
                    .put((byte) transport).put((byte) 2).put(new byte[] { 0x20, 0x02, 0x24, 0x01 });
            int cipLength = cip.position();
            ByteBuffer rr = le(16 + cipLength).putInt(0).putShort((short) 0).putShort((short) 2).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0xB2).putShort((short) cipLength)
                    .put(cip.array(), 0, cipLength);
            send(0x6F, handle, rr);
            ByteBuffer reply = read();
            return reply.position(24 + 16).slice().order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void anIdleClass3ConnectionTimesOutAfterRpiTimesMultiplierAndItsSocketCloses() throws Exception {
        try (Session s = new Session()) {
            ByteBuffer reply = s.forwardOpen(0xA3, 100_000, 0); // 100 ms x 4
            assertThat(reply.get(2)).as("general status").isZero();
            assertThat(simulator.cipConnections(0)).singleElement()
                    .isEqualTo(new CipConnection(0xFF50, 0x5EED, 0x77, 100_000, 400));
            long t0 = System.nanoTime();
            assertThat(s.in.read()).as("the device closed the socket").isEqualTo(-1);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(millis).as("after its 400 ms watchdog").isBetween(300L, 1500L);
            assertThat(simulator.cipConnections(0)).isEmpty();
        }
    }

    @Test
    void aTransportClassItDoesNotServeOrAClass1PathWithoutConnectionPointsIsRefused() throws Exception {
        try (Session s = new Session()) {
            for (int[] refusal : new int[][] { { 0x02, 0x0103 }, { 0x01, 0x0117 } }) {
                ByteBuffer reply = s.forwardOpen(refusal[0], 100_000, 0);
                assertThat(reply.get(0) & 0xff).isEqualTo(0x54 | 0x80);
                assertThat(reply.get(2) & 0xff).as("general status").isEqualTo(0x01);
                assertThat(reply.get(3)).as("one extended status word").isEqualTo((byte) 1);
                assertThat(reply.getShort(4) & 0xffff).isEqualTo(refusal[1]);
            }
            assertThat(simulator.cipConnections(0)).isEmpty();
        }
    }

    @Test
    void listIdentityIsAnsweredOverUdpAsAScannerDiscovers() throws Exception {
        try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            udp.setSoTimeout(3000);
            byte[] request = le(24).putShort((short) 0x63).putShort((short) 0).putInt(0).putInt(0).putLong(42)
                    .putInt(0).array();
            udp.send(new DatagramPacket(request, request.length, InetAddress.getLoopbackAddress(),
                    simulator.enipPort(0)));
            DatagramPacket answer = new DatagramPacket(new byte[512], 512);
            udp.receive(answer);
            ByteBuffer b = ByteBuffer.wrap(answer.getData(), 0, answer.getLength()).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(b.getShort(0) & 0xffff).as("ListIdentity").isEqualTo(0x63);
            assertThat(b.getLong(12)).as("sender context echoed").isEqualTo(42);
            assertThat(b.getShort(24)).as("one item").isEqualTo((short) 1);
            assertThat(b.getShort(26) & 0xffff).as("identity item").isEqualTo(0x0C);
            assertThat(b.order(ByteOrder.BIG_ENDIAN).getShort(32 + 2) & 0xffff).as("TCP port in the socket address")
                    .isEqualTo(simulator.enipPort(0));
            assertThat(b.order(ByteOrder.LITTLE_ENDIAN).getShort(48) & 0xffff).as("vendor").isEqualTo(1);
            assertThat(b.getShort(50) & 0xffff).as("device type").isEqualTo(0x92);
        }
    }
}
