package io.pm500.profile.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.WordOrder;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.profile.DeviceProfiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hand-made byte and register vectors against the built-in PM500 profile and small test profiles. */
class DecoderTest {
    private static final Instant T = Instant.parse("2026-11-26T12:00:00.000000123Z");
    private static DeviceProfile pm500;

    @BeforeAll
    static void load() throws Exception {
        pm500 = DeviceProfiles.builtIn(DeviceProfiles.PM500);
    }

    private static CipDecoder cip(String id) {
        return new CipDecoder(pm500.cip(), pm500.cipBlock(id).orElseThrow());
    }

    private static ModbusDecoder modbus(String id, WordOrder override) {
        return new ModbusDecoder(pm500.modbus(), pm500.modbusBlock(id).orElseThrow(), override);
    }

    private static Value value(Sample s, String point) {
        return s.points().stream().filter(p -> p.pointId().equals(point)).map(PointValue::value).findFirst()
                .orElseThrow(() -> new AssertionError("no point " + point + " in " + s));
    }

    @Test
    void assembly101LittleEndianRealsInProfileOrder() {
        // 230.5 V = 0x43668000, little-endian bytes 00 80 66 43
        ByteBuffer data = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        data.put(new byte[] { 0x00, (byte) 0x80, 0x66, 0x43 });
        for (int i = 1; i < 12; i++) {
            data.putFloat(i * 10f);
        }
        data.flip();
        Sample s = cip("assembly.101").decode("m1", T, data);

        assertThat(s.status()).isEqualTo(AcquisitionStatus.OK);
        assertThat(s.acquiredAt()).isEqualTo(T);
        assertThat(s.blockId()).isEqualTo("assembly.101");
        assertThat(s.points()).hasSize(12);
        assertThat(value(s, "voltage.l1n")).isEqualTo(Value.of(230.5));
        assertThat(value(s, "voltage.l2n")).isEqualTo(Value.of(10.0));
        assertThat(value(s, "current.n")).isEqualTo(Value.of(110.0));
        assertThat(data.position()).as("buffer untouched").isZero();
    }

    @Test
    void nanAndInfinityAreKeptForQualityStampingNotDropped() {
        ByteBuffer data = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(Float.NaN).putFloat(Float.POSITIVE_INFINITY).putFloat(Float.NEGATIVE_INFINITY);
        data.position(48).flip();
        Sample s = cip("assembly.101").decode("m1", T, data);
        assertThat(s.status()).isEqualTo(AcquisitionStatus.OK);
        assertThat(value(s, "voltage.l1n").asDouble()).isNaN();
        assertThat(value(s, "voltage.l2n").asDouble()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(value(s, "voltage.l3n").isNonFinite()).isTrue();
    }

    @Test
    void shortOrLongReplyIsAProtocolErrorNotAnException() {
        Sample shortReply = cip("assembly.102").decode("m1", T, ByteBuffer.allocate(70));
        assertThat(shortReply.status()).isEqualTo(AcquisitionStatus.PROTOCOL_ERROR);
        assertThat(shortReply.detail()).contains("assembly.102", "instance 102", "70 bytes", "expects 72");
        assertThat(cip("assembly.108").decode("m1", T, ByteBuffer.allocate(6)).status())
                .isEqualTo(AcquisitionStatus.PROTOCOL_ERROR);
        assertThat(cip("assembly.108").decode("m1", T, ByteBuffer.allocate(0)).status())
                .isEqualTo(AcquisitionStatus.PROTOCOL_ERROR);
    }

    @Test
    void energyAssemblyCombinesHighAndLowRealsIntoWh() {
        ByteBuffer data = ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(12f).putFloat(345_678.5f); // 12 345 678.5 kWh
        data.position(64);
        data.putFloat(0f).putFloat(1234.25f); // run hours
        data.rewind();
        Sample s = cip("assembly.107").decode("m1", T, data);
        assertThat(value(s, "energy.active.import.total").asDouble()).isEqualTo(12_345_678_500.0);
        assertThat(value(s, "run.hours").asDouble()).isEqualTo(1234.25);
    }

    @Test
    void statusAssemblyKeepsSignedBitWords() {
        ByteBuffer data = ByteBuffer.wrap(new byte[] { 0x05, 0x00, (byte) 0xff, (byte) 0xff });
        Sample s = cip("assembly.108").decode("m1", T, data);
        assertThat(value(s, "alarms.virtual")).isEqualTo(Value.of(5L));
        assertThat(value(s, "outputs.status")).isEqualTo(Value.of(-1L));
    }

    @Test
    void productInfoAssemblyDecodesFirmwareAndSerial() {
        ByteBuffer data = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x4107).putShort((short) 3).putShort((short) 0);
        for (String pair : new String[] { "94", "00", "12", "34", "5A", "BC", "D\0" }) {
            data.putShort((short) (pair.charAt(0) << 8 | pair.charAt(1)));
        }
        data.flip();
        Sample s = cip("assembly.100").decode("m1", T, data);
        assertThat(value(s, "firmware.base")).isEqualTo(Value.of(0x4107L));
        assertThat(value(s, "serial")).isEqualTo(Value.of("940012345ABCD"));
    }

    @Test
    void modbusUlintEnergyInBothWordOrders() {
        ModbusDecoder energy = modbus("energy", null);
        assertThat(energy.firstWireAddress()).isEqualTo(1280);
        assertThat(energy.span()).isEqualTo(36);
        short[] regs = new short[36];
        long wh = 0x0001_0002_0003_0004L; // 281 483 566 841 860 Wh
        regs[0] = 0x0001;
        regs[1] = 0x0002;
        regs[2] = 0x0003;
        regs[3] = 0x0004;
        regs[32] = 0;
        regs[33] = 0;
        regs[34] = 0;
        regs[35] = 12345; // run hours: 123 h 45 min
        Sample s = energy.decode("m1", T, 1280, regs, 36);
        assertThat(value(s, "energy.active.import.total")).isEqualTo(Value.of(wh));
        assertThat(value(s, "run.hours").asDouble()).isEqualTo(123.75);

        Sample swapped = modbus("energy", WordOrder.LOW_FIRST).decode("m1", T, 1280, regs, 36);
        assertThat(value(swapped, "energy.active.import.total")).isEqualTo(Value.of(0x0004_0003_0002_0001L));
    }

    @Test
    void modbusUlintAboveSignedRangeStaysExact() {
        short[] regs = new short[36];
        regs[0] = (short) 0x8000;
        Sample s = modbus("energy", null).decode("m1", T, 1280, regs, 36);
        assertThat(value(s, "energy.active.import.total").asDouble()).isEqualTo(9.223372036854775808E18);
    }

    @Test
    void modbusRealsAndStringFromARequestThatStartsEarlier() {
        ModbusDecoder settings = modbus("settings", null);
        short[] regs = new short[40];
        int base = settings.firstWireAddress() - 3; // coalesced with registers before the block
        int ct = 304121 - 300001 - base;
        int bits = Float.floatToIntBits(400.0f);
        regs[ct] = (short) (bits >>> 16);
        regs[ct + 1] = (short) bits;
        regs[304098 - 300001 - base] = 5;
        Sample s = settings.decode("m1", T, base, regs, 40);
        assertThat(value(s, "ct.ratio")).isEqualTo(Value.of(400.0));
        assertThat(value(s, "system.type")).isEqualTo(Value.of(5L));

        short[] info = new short[39];
        for (int i = 0; i < 7; i++) {
            info[32 + i] = (short) ("9412345678901".charAt(2 * i) << 8
                    | (2 * i + 1 < 13 ? "9412345678901".charAt(2 * i + 1) : 0));
        }
        assertThat(value(modbus("info", null).decode("m1", T, 0, info, 39), "serial"))
                .isEqualTo(Value.of("9412345678901"));
    }

    @Test
    void missingRegistersAreAProtocolError() {
        Sample s = modbus("energy", null).decode("m1", T, 1280, new short[36], 20);
        assertThat(s.status()).isEqualTo(AcquisitionStatus.PROTOCOL_ERROR);
        assertThat(s.detail()).contains("energy", "1280..1315", "got 20");
        assertThat(modbus("energy", null).decode("m1", T, 1281, new short[40], 40).status())
                .isEqualTo(AcquisitionStatus.PROTOCOL_ERROR);
    }

    @Test
    void bigEndianCipAndSignedModbusTypes() throws Exception {
        DeviceProfile p = DeviceProfiles.parse("t", """
                {"profileVersion": 1, "model": "T",
                 "points": {"a": {"kind": "SETTING"}, "b": {"kind": "SETTING"}, "c": {"kind": "SETTING"}},
                 "cip": {"byteOrder": "BIG_ENDIAN", "blocks": [{"id": "x", "classId": 4, "instance": 1,
                   "attribute": 3, "size": 8, "fields": [{"point": "a", "type": "DINT"},
                   {"point": "b", "type": "UDINT", "scale": 0.5}]}]},
                 "modbus": {"addressBase": 1, "blocks": [{"id": "y", "functionCode": 3,
                   "fields": [{"point": "c", "address": 1, "type": "INT", "scale": 0.1}]}]}}
                """);
        ByteBuffer data = ByteBuffer.allocate(8).putInt(-2).putInt(0xFFFF_FFFF).flip();
        Sample s = new CipDecoder(p.cip(), p.cip().blocks().get(0)).decode("m", T, data);
        assertThat(value(s, "a")).isEqualTo(Value.of(-2L));
        assertThat(value(s, "b")).isEqualTo(Value.of(4_294_967_295.0 * 0.5));
        Sample m = new ModbusDecoder(p.modbus(), p.modbus().blocks().get(0), null).decode("m", T, 0,
                new short[] { (short) -123 }, 1);
        assertThat(value(m, "c").asDouble()).isCloseTo(-12.3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(m.points()).extracting(PointValue::pointId).isEqualTo(List.of("c"));
    }
}
