package io.pm500.bench;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.codec.CipDecoder;
import io.pm500.profile.codec.ModbusDecoder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding a reply into a Sample, the drivers' per-poll work: assembly 102 (18 REALs, little-endian) and the
 * Modbus energy block (9 ULINTs). {@code java -jar pm500.bench/target/benchmarks.jar Decoder -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecoderBenchmark {
    private static final Instant T = Instant.parse("2026-11-26T12:00:00Z");
    private CipDecoder assembly102;
    private ByteBuffer assemblyData;
    private ModbusDecoder energy;
    private short[] registers;

    @Setup
    public void setUp() throws Exception {
        DeviceProfile pm500 = DeviceProfiles.builtIn(DeviceProfiles.PM500);
        CipBlock block = pm500.cipBlock("assembly.102").orElseThrow();
        assembly102 = new CipDecoder(pm500.cip(), block);
        assemblyData = ByteBuffer.allocate(block.size());
        Value[] values = new Value[block.fields().size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Value.of(100.0 + i);
        }
        assembly102.encode(values, assemblyData);
        assemblyData.flip();
        ModbusBlock e = pm500.modbusBlock("energy").orElseThrow();
        energy = new ModbusDecoder(pm500.modbus(), e, null);
        registers = new short[energy.span()];
        Value[] counters = new Value[e.fields().size()];
        for (int i = 0; i < counters.length; i++) {
            counters[i] = Value.of(1_234_567_890L + i);
        }
        energy.encode(counters, energy.firstWireAddress(), registers);
    }

    @Benchmark
    public Sample cipAssembly102() {
        return assembly102.decode("feeder-7", T, assemblyData);
    }

    @Benchmark
    public Sample modbusEnergyBlock() {
        return energy.decode("feeder-7", T, energy.firstWireAddress(), registers, registers.length);
    }
}
