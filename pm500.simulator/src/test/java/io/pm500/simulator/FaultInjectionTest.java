package io.pm500.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import io.pm500.api.sample.Value;
import io.pm500.profile.DeviceProfiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Each fault mode produces exactly its on-the-wire behaviour, on one meter only. */
@Tag("slow")
class FaultInjectionTest {
    private final AtomicLong clock = new AtomicLong();
    private Simulator simulator;
    private Faults faults;

    @BeforeEach
    void start() throws Exception {
        simulator = new Simulator(DeviceProfiles.builtIn("pm500"), 2, "127.0.0.1", 0, 5, clock::get);
        faults = simulator.meters().get(0).faults();
    }

    @AfterEach
    void stop() {
        simulator.close();
    }

    private Socket enip(int meter) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), simulator.enipPort(meter));
        socket.setSoTimeout(1000);
        return socket;
    }

    /** Sends ListIdentity and returns the reply's bytes as far as they came (up to the header's length). */
    private static byte[] listIdentity(Socket socket) throws IOException {
        byte[] request = new byte[24];
        request[0] = 0x63;
        socket.getOutputStream().write(request);
        InputStream in = socket.getInputStream();
        byte[] header = in.readNBytes(24);
        if (header.length < 24) {
            return header;
        }
        int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xffff;
        byte[] body = in.readNBytes(length);
        byte[] all = new byte[24 + body.length];
        System.arraycopy(header, 0, all, 0, 24);
        System.arraycopy(body, 0, all, 24, body.length);
        return all;
    }

    private ModbusTCPMaster modbus(int meter) throws Exception {
        ModbusTCPMaster master = new ModbusTCPMaster("127.0.0.1", simulator.modbusPort(meter), 500, false);
        master.setRetries(0);
        master.connect();
        return master;
    }

    @Test
    void noReplyMeansTimeoutsWhileOtherMetersAnswer() throws Exception {
        faults.noReply(true);
        try (Socket s = enip(0)) {
            assertThatThrownBy(() -> listIdentity(s)).isInstanceOf(SocketTimeoutException.class);
        }
        ModbusTCPMaster m = modbus(0);
        assertThatThrownBy(() -> m.readInputRegisters(1, 0, 1)).isInstanceOf(ModbusIOException.class);
        m.disconnect();
        try (Socket s = enip(1)) {
            assertThat(listIdentity(s)).hasSizeGreaterThan(24);
        }
        faults.clear();
        try (Socket s = enip(0)) {
            assertThat(listIdentity(s)).hasSizeGreaterThan(24);
        }
    }

    @Test
    void delayHoldsEveryReply() throws Exception {
        faults.delay(Duration.ofMillis(300));
        try (Socket s = enip(0)) {
            long t0 = System.nanoTime();
            listIdentity(s);
            assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(300);
        }
        ModbusTCPMaster m = modbus(1);
        m.readInputRegisters(1, 0, 1); // warm: the first read pays for class loading
        long t0 = System.nanoTime();
        m.readInputRegisters(1, 0, 1);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("meter 1 has no delay").isLessThan(300);
        m.disconnect();
    }

    @Test
    void cipErrorStatusAndModbusExceptionCodes() throws Exception {
        faults.cipStatus(0x0C).modbusException(6);
        ModbusTCPMaster m = modbus(0);
        assertThatThrownBy(() -> m.readInputRegisters(1, 1280, 4)).isInstanceOf(ModbusSlaveException.class)
                .satisfies(e -> assertThat(((ModbusSlaveException) e).getType()).isEqualTo(6));
        m.disconnect();
        // the CIP error: read assembly 101 over a raw session
        try (Socket s = enip(0)) {
            assertThat(getAssembly(s, 101)[2] & 0xff).as("general status").isEqualTo(0x0C);
        }
        faults.clear();
        try (Socket s = enip(0)) {
            byte[] reply = getAssembly(s, 101);
            assertThat(reply[2]).isZero();
            assertThat(reply.length).isEqualTo(4 + 48);
        }
    }

    /** RegisterSession, then Get_Attribute_Single(4, instance, 3) by SendRRData; returns the CIP reply. */
    private static byte[] getAssembly(Socket s, int instance) throws IOException {
        ByteBuffer register = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        register.putShort((short) 0x65).putShort((short) 4).putInt(0).putInt(0).putLong(0).putInt(0)
                .putShort((short) 1).putShort((short) 0);
        s.getOutputStream().write(register.array());
        byte[] header = s.getInputStream().readNBytes(28);
        int session = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        byte[] mr = { 0x0E, 3, 0x20, 0x04, 0x24, (byte) instance, 0x30, 0x03 };
        ByteBuffer rr = ByteBuffer.allocate(24 + 16 + mr.length).order(ByteOrder.LITTLE_ENDIAN);
        rr.putShort((short) 0x6F).putShort((short) (16 + mr.length)).putInt(session).putInt(0).putLong(0).putInt(0);
        rr.putInt(0).putShort((short) 5).putShort((short) 2).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0xB2).putShort((short) mr.length).put(mr);
        s.getOutputStream().write(rr.array());
        byte[] replyHeader = s.getInputStream().readNBytes(24);
        int length = ByteBuffer.wrap(replyHeader).order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xffff;
        byte[] body = s.getInputStream().readNBytes(length);
        byte[] cip = new byte[body.length - 16];
        System.arraycopy(body, 16, cip, 0, cip.length);
        return cip;
    }

    @Test
    void garbageAndTruncatedReplies() throws Exception {
        byte[] healthy;
        try (Socket s = enip(0)) {
            healthy = listIdentity(s);
        }
        faults.truncate(true);
        try (Socket s = enip(0)) {
            byte[] request = new byte[24];
            request[0] = 0x63;
            s.getOutputStream().write(request);
            byte[] got = s.getInputStream().readNBytes(healthy.length / 2);
            assertThat(got).containsExactly(java.util.Arrays.copyOf(healthy, healthy.length / 2));
            assertThatThrownBy(() -> s.getInputStream().read()).as("nothing more comes")
                    .isInstanceOf(SocketTimeoutException.class);
        }
        faults.truncate(false).garbage(true);
        try (Socket s = enip(0)) {
            byte[] request = new byte[24];
            request[0] = 0x63;
            s.getOutputStream().write(request);
            byte[] got = s.getInputStream().readNBytes(healthy.length);
            assertThat(got).hasSameSizeAs(healthy).isNotEqualTo(healthy);
        }
        ModbusTCPMaster m = modbus(0);
        assertThatThrownBy(() -> m.readInputRegisters(1, 0, 1)).isInstanceOf(ModbusIOException.class);
        m.disconnect();
    }

    @Test
    void freezeStopsValuesAndCounters() {
        SimulatedMeter meter = simulator.meters().get(0);
        clock.set(60_000_000_000L);
        Value before = meter.values().get("energy.active.import.total");
        faults.freeze(true);
        clock.set(600_000_000_000L);
        assertThat(meter.values().get("energy.active.import.total")).isEqualTo(before);
        assertThat(simulator.meters().get(1).values().get("energy.active.import.total"))
                .isNotEqualTo(new SimulatedMeter(1, meter.profile(), 5, () -> 0).values()
                        .get("energy.active.import.total"));
        faults.freeze(false);
        assertThat(meter.values().get("energy.active.import.total").asDouble()).isGreaterThan(before.asDouble());
    }

    @Test
    void closeConnectionsDropsOpenOnesOnly() throws Exception {
        try (Socket s = enip(0); Socket other = enip(1)) {
            listIdentity(s);
            faults.closeConnections();
            s.setSoTimeout(2000);
            assertThat(s.getInputStream().read()).as("EOF").isEqualTo(-1);
            assertThat(listIdentity(other)).hasSizeGreaterThan(24);
        }
        try (Socket again = enip(0)) {
            assertThat(listIdentity(again)).as("new connections are served").hasSizeGreaterThan(24);
        }
    }

    @Test
    void rebootRefusesConnectionsForItsDowntimeAndKeepsCounters() throws Exception {
        SimulatedMeter meter = simulator.meters().get(0);
        clock.set(120_000_000_000L);
        double energy = meter.values().get("energy.active.import.total").asDouble();
        byte[] request = { 0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1 };
        try (Socket modbus = new Socket(InetAddress.getLoopbackAddress(), simulator.modbusPort(0))) {
            modbus.setSoTimeout(1000);
            modbus.getOutputStream().write(request);
            assertThat(modbus.getInputStream().readNBytes(11)).hasSize(11);
            meter.reboot(Duration.ofMillis(1500));
            // raw sockets: j2mod's master retries and reconnects on its own, which would hide the downtime
            modbus.getOutputStream().write(request);
            assertThat(modbus.getInputStream().read()).as("dropped by the reboot").isEqualTo(-1);
        }
        try (Socket s = enip(0)) {
            s.setSoTimeout(2000);
            assertThat(s.getInputStream().read()).as("closed while rebooting").isEqualTo(-1);
        }
        Thread.sleep(1600); // the downtime itself is what is under test
        try (Socket s = enip(0)) {
            assertThat(listIdentity(s)).hasSizeGreaterThan(24);
        }
        assertThat(meter.values().get("energy.active.import.total").asDouble()).isGreaterThanOrEqualTo(energy);
    }
}
