package io.pm500.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.digitalpetri.enip.EtherNetIpClientConfig;
import com.digitalpetri.enip.EtherNetIpShared;
import com.digitalpetri.enip.cip.CipClient;
import com.digitalpetri.enip.cip.CipConnectionPool;
import com.digitalpetri.enip.cip.CipResponseException;
import com.digitalpetri.enip.cip.epath.EPath.PaddedEPath;
import com.digitalpetri.enip.cip.epath.LogicalSegment.AttributeId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.ClassId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.InstanceId;
import com.digitalpetri.enip.cip.epath.PortSegment;
import com.digitalpetri.enip.cip.services.GetAttributeSingleService;
import com.digitalpetri.enip.cip.services.GetAttributesAllService;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.codec.CipDecoder;
import io.pm500.profile.codec.ModbusDecoder;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulator against clients it did not write: digitalpetri's EtherNet/IP client and j2mod's Modbus master,
 * plus raw sockets for malformed input. The clock is frozen so wire values can be compared with the model's.
 */
class SimulatorWireTest {
    private static final Instant T = Instant.EPOCH;
    private static final AtomicLong CLOCK = new AtomicLong(3_600_000_000_000L);
    private static DeviceProfile profile;
    private static Simulator simulator;
    private static CipClient cip;
    private static ModbusTCPMaster modbus;

    /** One simulator and one client each for the class: digitalpetri waits its full timeout on disconnect. */
    @BeforeAll
    static void start() throws Exception {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        profile = DeviceProfiles.builtIn("pm500");
        simulator = new Simulator(profile, 2, "127.0.0.1", 0, 11, CLOCK::get);
        cip = new CipClient(EtherNetIpClientConfig.builder("127.0.0.1").setPort(simulator.enipPort(1))
                .setTimeout(Duration.ofSeconds(5)).build(), new PaddedEPath(new PortSegment(1, new byte[] { 0 })));
        cip.connect().get(10, TimeUnit.SECONDS);
        modbus = new ModbusTCPMaster("127.0.0.1", simulator.modbusPort(1), 3000, false);
        modbus.connect();
    }

    @AfterAll
    static void stop() throws Exception {
        modbus.disconnect();
        cip.disconnect().get(10, TimeUnit.SECONDS);
        simulator.close();
        EtherNetIpShared.releaseSharedResources();
    }

    private static PaddedEPath path(int classId, int instance, int attribute) {
        return new PaddedEPath(new ClassId(classId), new InstanceId(instance), new AttributeId(attribute));
    }

    private static ByteBuffer read(int classId, int instance, int attribute) throws Exception {
        ByteBuf buf = cip.invoke(new GetAttributeSingleService(path(classId, instance, attribute)))
                .get(10, TimeUnit.SECONDS);
        try {
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return ByteBuffer.wrap(bytes);
        } finally {
            ReferenceCountUtil.release(buf);
        }
    }

    private static int cipStatus(int classId, int instance, int attribute) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> read(classId, instance, attribute));
        assertThat(t).isInstanceOf(ExecutionException.class);
        return CipResponseException.extract(t).orElseThrow().getGeneralStatus();
    }

    private static double v(Sample s, String id) {
        return s.points().stream().filter(p -> p.pointId().equals(id)).findFirst().orElseThrow().value().asDouble();
    }

    @Test
    void everyAssemblyRoundTripsThroughTheSimulatorAndTheDecoder() throws Exception {
        Map<String, Value> model = simulator.meters().get(1).values();
        for (CipBlock block : profile.cip().blocks()) {
            assertThat(read(4, block.instance(), 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getShort())
                    .as("attribute 4 of instance %d", block.instance()).isEqualTo((short) block.size());
            Sample s = new CipDecoder(profile.cip(), block).decode("m1", T, read(4, block.instance(), 3));
            assertThat(s.status()).as(s.detail()).isEqualTo(AcquisitionStatus.OK);
            for (PointValue p : s.points()) {
                Value expected = model.get(p.pointId());
                if (expected instanceof Value.Text) {
                    assertThat(p.value()).isEqualTo(expected);
                } else if (p.pointId().startsWith("energy.")) {
                    // REAL pairs in kWh: float precision of the low part
                    assertThat(p.value().asDouble()).as(p.pointId()).isCloseTo(expected.asDouble(), within(100.0));
                } else {
                    assertThat(p.value().asDouble()).as(p.pointId())
                            .isCloseTo(expected.asDouble(), within(1e-4 * Math.max(1, Math.abs(expected.asDouble()))));
                }
            }
            if (block.instance() == 102) {
                double sum = v(s, "power.active.l1") + v(s, "power.active.l2") + v(s, "power.active.l3");
                assertThat(Math.abs(v(s, "power.active.total") - sum)).isLessThan(0.001 * sum);
                assertThat(v(s, "pf.total")).isBetween(0.8, 1.0);
            }
        }
    }

    @Test
    void everyRegisterBlockRoundTripsWithFc03AndFc04() throws Exception {
        Map<String, Value> model = simulator.meters().get(1).values();
        for (ModbusBlock block : profile.modbus().blocks()) {
            ModbusDecoder decoder = new ModbusDecoder(profile.modbus(), block, null);
            for (String field : block.fields().stream().map(f -> f.point()).toList()) {
                assertThat(model).containsKey(field);
            }
            // read field by field: blocks have gaps the meter answers with Illegal Data Address
            short[] regs = new short[decoder.span()];
            for (var f : block.fields()) {
                int wire = profile.modbus().wireAddress(f.address());
                InputRegister[] fc04 = modbus.readInputRegisters(Simulator.UNIT_ID, wire, f.wordCount());
                var fc03 = modbus.readMultipleRegisters(Simulator.UNIT_ID, wire, f.wordCount());
                for (int i = 0; i < fc04.length; i++) {
                    regs[wire - decoder.firstWireAddress() + i] = (short) fc04[i].getValue();
                    assertThat(fc03[i].getValue()).isEqualTo(fc04[i].getValue());
                }
            }
            Sample s = decoder.decode("m1", T, decoder.firstWireAddress(), regs, regs.length);
            assertThat(s.status()).as(s.detail()).isEqualTo(AcquisitionStatus.OK);
            for (PointValue p : s.points()) {
                Value expected = model.get(p.pointId());
                if (expected instanceof Value.Real r) {
                    assertThat(p.value().asDouble()).as(p.pointId()).isCloseTo(r.value(), within(1e-3 * Math.max(1, Math.abs(r.value()))));
                } else {
                    assertThat(p.value()).as(p.pointId()).isEqualTo(expected);
                }
            }
        }
        Sample energy = new ModbusDecoder(profile.modbus(), profile.modbusBlock("energy").orElseThrow(), null)
                .decode("m1", T, 1280, readAll(1280, 36), 36);
        assertThat(v(energy, "energy.active.import.total")).isGreaterThan(1e9);
        assertThat(profile.points().get("energy.active.import.total").unit()).isEqualTo("Wh");
    }

    private static short[] readAll(int start, int count) throws Exception {
        InputRegister[] r = modbus.readInputRegisters(Simulator.UNIT_ID, start, count);
        short[] out = new short[count];
        for (int i = 0; i < count; i++) {
            out[i] = (short) r[i].getValue();
        }
        return out;
    }

    @Test
    void unknownClassInstanceAttributeAndServiceGetTheirCipStatus() throws Exception {
        assertThat(cipStatus(0x99, 1, 1)).isEqualTo(0x05);
        assertThat(cipStatus(4, 109, 3)).isEqualTo(0x16);
        assertThat(cipStatus(4, 101, 5)).isEqualTo(0x14);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> cip
                .invoke(new GetAttributesAllService(new PaddedEPath(new ClassId(4), new InstanceId(101))))
                .get(10, TimeUnit.SECONDS));
        assertThat(CipResponseException.extract(t).orElseThrow().getGeneralStatus()).isEqualTo(0x08);
        // the connection survives errors
        assertThat(read(4, 108, 3).remaining()).isEqualTo(4);
    }

    @Test
    void identityIsThePm500s() throws Exception {
        var identity = cip.listIdentity().get(10, TimeUnit.SECONDS).getIdentity().orElseThrow();
        assertThat(identity.getVendorId()).isEqualTo(1);
        assertThat(identity.getDeviceType()).isEqualTo(0x92);
        assertThat(identity.getProductCode()).isEqualTo(9);
        assertThat(identity.getProductName()).isEqualTo("PowerMonitor 500");
        assertThat(read(1, 1, 7).get(0)).isEqualTo((byte) "PowerMonitor 500".length());
        assertThat(read(1, 1, 2).order(java.nio.ByteOrder.LITTLE_ENDIAN).getShort()).isEqualTo((short) 0x92);
        assertThat(cipStatus(1, 2, 1)).isEqualTo(0x16);
    }

    @Test
    void unconnectedSendAndClass3ConnectedMessaging() throws Exception {
        ByteBuf viaRouter = cip.invokeUnconnected(new GetAttributeSingleService(path(4, 101, 3)))
                .get(10, TimeUnit.SECONDS);
        assertThat(viaRouter.readableBytes()).isEqualTo(48);
        ReferenceCountUtil.release(viaRouter);

        CipConnectionPool pool = new CipConnectionPool(1, cip,
                new PaddedEPath(new PortSegment(1, new byte[] { 0 })), 500);
        var connection = pool.acquire().get(10, TimeUnit.SECONDS);
        try {
            for (int i = 0; i < 3; i++) {
                ByteBuf data = cip.invokeConnected(connection.getO2tConnectionId(),
                        new GetAttributeSingleService(path(4, 102, 3))).get(10, TimeUnit.SECONDS);
                assertThat(data.readableBytes()).isEqualTo(72);
                ReferenceCountUtil.release(data);
            }
        } finally {
            pool.release(connection);
        }
    }

    @Test
    void modbusExceptionsAndWritableSettings() throws Exception {
        assertThatThrownBy(() -> modbus.readInputRegisters(Simulator.UNIT_ID, 10, 2))
                .isInstanceOf(ModbusSlaveException.class).hasMessageContaining("Illegal Data Address");
        int ct = 304121 - 300001;
        int bits = Float.floatToIntBits(250f);
        modbus.writeMultipleRegisters(Simulator.UNIT_ID, ct,
                new SimpleRegister[] { new SimpleRegister(bits >>> 16), new SimpleRegister(bits & 0xffff) });
        assertThat(simulator.meters().get(1).values().get("ct.ratio")).isEqualTo(Value.of(250.0));
        assertThatThrownBy(() -> modbus.writeSingleRegister(Simulator.UNIT_ID, 1280, new SimpleRegister(0)))
                .isInstanceOf(ModbusSlaveException.class).hasMessageContaining("Illegal Data Address");
        assertThat(simulator.meters().get(0).values().get("ct.ratio")).as("other meter untouched")
                .isEqualTo(Value.of(100.0));
    }

    @Test
    void modbusServesTwoConnectionsAtOnceAndResetsAThird() throws Exception {
        int port = simulator.modbusPort(0);
        ModbusTCPMaster first = new ModbusTCPMaster("127.0.0.1", port, 3000, false);
        ModbusTCPMaster second = new ModbusTCPMaster("127.0.0.1", port, 3000, false);
        first.connect();
        second.connect();
        try (Socket third = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertThat(first.readInputRegisters(Simulator.UNIT_ID, 0, 3)).hasSize(3);
            assertThat(second.readInputRegisters(Simulator.UNIT_ID, 0, 3)).hasSize(3);
            third.setSoTimeout(5000);
            assertThat(third.getInputStream().read()).as("the third connection is closed").isEqualTo(-1);
        } finally {
            first.disconnect();
            second.disconnect();
        }
        ModbusTCPMaster later = new ModbusTCPMaster("127.0.0.1", port, 3000, false);
        later.connect();
        try {
            assertThat(later.readInputRegisters(Simulator.UNIT_ID, 0, 3)).as("a slot frees when a client leaves")
                    .hasSize(3);
        } finally {
            later.disconnect();
        }
    }

    @Test
    void garbageClosesOnlyThatConnection() throws Exception {
        int port = simulator.enipPort(1);
        try (Socket junk = new Socket(InetAddress.getLoopbackAddress(), port)) {
            junk.setSoTimeout(5000);
            OutputStream out = junk.getOutputStream();
            byte[] header = new byte[24];
            header[0] = 0x6F;
            header[2] = (byte) 0xff;
            header[3] = (byte) 0xff; // 65535-byte frame announced
            out.write(header);
            out.flush();
            InputStream in = junk.getInputStream();
            assertThat(in.read()).as("server closed the connection").isEqualTo(-1);
        }
        try (Socket junk = new Socket(InetAddress.getLoopbackAddress(), port)) {
            junk.setSoTimeout(5000);
            byte[] frame = new byte[24 + 4];
            frame[0] = 0x6F; // SendRRData without a session
            frame[2] = 4;
            junk.getOutputStream().write(frame);
            byte[] reply = junk.getInputStream().readNBytes(24);
            assertThat(ByteBuffer.wrap(reply).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(8))
                    .as("invalid session handle").isEqualTo(0x64);
        }
        try (Socket junk = new Socket(InetAddress.getLoopbackAddress(), simulator.modbusPort(1))) {
            junk.setSoTimeout(5000);
            junk.getOutputStream().write(new byte[] { 0, 1, 0, 0, (byte) 0xff, (byte) 0xff, 1, 4, 0, 0 });
            assertThat(junk.getInputStream().read()).as("MBAP length 65535: closed").isEqualTo(-1);
        }
        assertThat(read(4, 101, 3).remaining()).as("other clients still served").isEqualTo(48);
        assertThat(modbus.readInputRegisters(Simulator.UNIT_ID, 0, 1)).hasSize(1);
    }
}
