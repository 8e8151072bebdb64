package io.pm500.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.Transform;
import io.pm500.api.profile.WordOrder;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.profile.codec.CipDecoder;
import io.pm500.profile.codec.ModbusDecoder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every block of the PM500 profile encodes and decodes back to the same values, in both word orders. */
class RoundTripTest {
    private static final Instant T = Instant.EPOCH;

    private static Value[] values(List<Field> fields, Random random) {
        Value[] values = new Value[fields.size()];
        for (int i = 0; i < values.length; i++) {
            Field f = fields.get(i);
            values[i] = switch (f.type()) {
                case INT -> Value.of((long) (random.nextInt(65536) - 32768));
                case UINT -> Value.of((long) random.nextInt(65536));
                case DINT, UDINT -> Value.of((long) random.nextInt(Integer.MAX_VALUE));
                case ULINT -> f.transform() == Transform.HOURS_MINUTES ? Value.of(random.nextInt(100_000) + 0.75)
                        : Value.of(random.nextLong(99_999_999_999_999L));
                case REAL -> Value.of((double) (float) (random.nextDouble() * 1000));
                case REAL_PAIR -> Value.of((double) random.nextInt(1_000_000) * f.scale());
                case STRING -> Value.of("94" + random.nextInt(10_000_000));
            };
        }
        return values;
    }

    private static void assertSame(Sample decoded, Value[] expected) {
        assertThat(decoded.status()).as(decoded.detail()).isEqualTo(AcquisitionStatus.OK);
        for (int i = 0; i < expected.length; i++) {
            Value got = decoded.points().get(i).value();
            if (expected[i] instanceof Value.Real r) {
                assertThat(got.asDouble()).as(decoded.points().get(i).pointId()).isCloseTo(r.value(), within(1e-6 * Math.max(1, Math.abs(r.value()))));
            } else {
                assertThat(got).as(decoded.points().get(i).pointId()).isEqualTo(expected[i]);
            }
        }
    }

    @Test
    void cipBlocks() throws Exception {
        DeviceProfile pm500 = DeviceProfiles.builtIn(DeviceProfiles.PM500);
        Random random = new Random(42);
        for (CipBlock block : pm500.cip().blocks()) {
            CipDecoder codec = new CipDecoder(pm500.cip(), block);
            Value[] values = values(block.fields(), random);
            ByteBuffer data = ByteBuffer.allocate(block.size());
            codec.encode(values, data);
            assertThat(data.position()).isEqualTo(block.size());
            assertSame(codec.decode("m", T, data.flip()), values);
        }
    }

    @Test
    void modbusBlocksInBothWordOrders() throws Exception {
        DeviceProfile pm500 = DeviceProfiles.builtIn(DeviceProfiles.PM500);
        Random random = new Random(7);
        for (WordOrder order : WordOrder.values()) {
            for (ModbusBlock block : pm500.modbus().blocks()) {
                ModbusDecoder codec = new ModbusDecoder(pm500.modbus(), block, order);
                Value[] values = values(block.fields(), random);
                short[] registers = new short[codec.span()];
                codec.encode(values, codec.firstWireAddress(), registers);
                assertSame(codec.decode("m", T, codec.firstWireAddress(), registers, registers.length), values);
            }
        }
    }
}
