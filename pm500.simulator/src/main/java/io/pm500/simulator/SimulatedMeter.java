package io.pm500.simulator;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.Value;
import io.pm500.profile.codec.CipDecoder;
import io.pm500.profile.codec.ModbusDecoder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One simulated PM500: the physical model plus identity and settings, encoded through the device profile exactly
 * as a real meter would put them on the wire.
 */
public final class SimulatedMeter {
    private final int index;
    private final DeviceProfile profile;
    private final MeterPhysics physics;
    private final LongSupplier clock;
    private final long startNanos;
    private final String serial;
    private final int productCode;
    private final Map<String, CipDecoder> cipCodecs = new HashMap<>();
    private final List<ModbusDecoder> modbusCodecs;
    /** Writable blocks keep their registers, as written, as the source of truth. */
    private final Map<ModbusBlock, short[]> settings = new HashMap<>();
    private final Faults faults = new Faults();
    /** The values of the model's current step: reads between two 100 ms steps share them. */
    private Map<String, Value> cached;
    private long cachedStep = -1;

    /**
     * @param index   the meter's number in the simulator (0-based); with the seed it makes the meter unique
     * @param seed    reproducibility seed
     * @param clock   nanosecond clock (System::nanoTime, or a test's)
     */
    public SimulatedMeter(int index, DeviceProfile profile, long seed, LongSupplier clock) {
        this.index = index;
        this.profile = profile;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        long meterSeed = seed * 1_000_003L + index;
        this.physics = new MeterPhysics(meterSeed, 230, 50, 1_000_000_000.0 + index * 12_345_678.0, 15 * 60);
        this.serial = String.format("%09d%04d", 940_000_000 + index, index % 10_000);
        this.productCode = profile.identity() == null ? 0
                : profile.identity().productCodes().getOrDefault("1420-V2A-ENT", 0);
        for (CipBlock block : profile.cip().blocks()) {
            cipCodecs.put(block.id(), new CipDecoder(profile.cip(), block));
        }
        this.modbusCodecs = profile.modbus().blocks().stream()
                .map(b -> new ModbusDecoder(profile.modbus(), b, null)).toList();
        for (ModbusDecoder codec : modbusCodecs) {
            if (codec.block().writable()) {
                short[] registers = new short[codec.span()];
                codec.encode(values(codec.block().fields(), staticValues()), codec.firstWireAddress(), registers);
                settings.put(codec.block(), registers);
            }
        }
    }

    public int index() {
        return index;
    }

    public DeviceProfile profile() {
        return profile;
    }

    /** The faults this meter shows; change them at any time. */
    public Faults faults() {
        return faults;
    }

    /** Restarts the meter: it drops its connections and refuses new ones for the downtime; counters persist. */
    public synchronized void reboot(java.time.Duration downtime) {
        faults.reboot(downtime);
        physics.resetExtremes();
        cached = null;
    }

    public String serial() {
        return serial;
    }

    public int productCode() {
        return productCode;
    }

    /** Every point's current value (an unmodifiable snapshot). */
    public synchronized Map<String, Value> values() {
        if (!faults.frozen()) {
            physics.advanceTo(clock.getAsLong() - startNanos);
        }
        if (cached != null && cachedStep == physics.step()) {
            return cached;
        }
        Map<String, Value> all = physics.values();
        all.putAll(staticValues());
        for (ModbusDecoder codec : modbusCodecs) {
            short[] registers = settings.get(codec.block());
            if (registers != null) {
                Sample s = codec.decode("sim", Instant.EPOCH, codec.firstWireAddress(), registers, registers.length);
                for (PointValue p : s.points()) {
                    all.put(p.pointId(), p.value());
                }
            }
        }
        cached = Map.copyOf(all);
        cachedStep = physics.step();
        return cached;
    }

    private Map<String, Value> staticValues() {
        Map<String, Value> v = new HashMap<>();
        v.put("firmware.base", Value.of((long) ('A' << 8 | 0x07))); // V2 model, revision 7
        v.put("firmware.ethernetip", Value.of(3L));
        v.put("firmware.analog.output", Value.of(2L));
        v.put("serial", Value.of(serial));
        v.put("alarms.virtual", Value.of(0L));
        v.put("outputs.status", Value.of(0L));
        v.put("hardware.modules", Value.of((long) (1 | 1 << 3 | 1 << 5 | 1 << 8)));
        v.put("system.type", Value.of(5L));
        v.put("demand.calculation", Value.of(1L));
        v.put("demand.interval", Value.of(3L));
        v.put("demand.sync", Value.of(0L));
        v.put("ct.ratio", Value.of(100.0));
        v.put("vt.ratio", Value.of(1.0));
        v.put("filter.span", Value.of(0.0));
        v.put("filter.coefficient", Value.of(1.0));
        return v;
    }

    private static Value[] values(List<Field> fields, Map<String, Value> values) {
        Value[] out = new Value[fields.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.getOrDefault(fields.get(i).point(), Value.of(0L));
        }
        return out;
    }

    /** The data of a CIP block (attribute 3), or {@code null} if the profile has no such block. */
    public byte[] cipData(int classId, int instance, int attribute) {
        for (CipBlock block : profile.cip().blocks()) {
            if (block.classId() == classId && block.instance() == instance && block.attribute() == attribute) {
                ByteBuffer data = ByteBuffer.allocate(block.size());
                cipCodecs.get(block.id()).encode(values(block.fields(), values()), data);
                return data.array();
            }
        }
        return null;
    }

    /** True when some block of the profile covers this wire address. */
    public boolean mapped(int wireAddress) {
        for (ModbusDecoder codec : modbusCodecs) {
            if (wireAddress >= codec.firstWireAddress() && wireAddress < codec.firstWireAddress() + codec.span()
                    && covers(codec, wireAddress)) {
                return true;
            }
        }
        return false;
    }

    private boolean covers(ModbusDecoder codec, int wireAddress) {
        for (Field f : codec.block().fields()) {
            int wire = profile.modbus().wireAddress(f.address());
            if (wireAddress >= wire && wireAddress < wire + f.wordCount()) {
                return true;
            }
        }
        return false;
    }

    /** True when the address belongs to a writable settings block. */
    public boolean writable(int wireAddress) {
        for (ModbusDecoder codec : modbusCodecs) {
            if (codec.block().writable() && covers(codec, wireAddress)) {
                return true;
            }
        }
        return false;
    }

    /** Register values for [start, start + count); unmapped registers read 0 (callers check {@link #mapped}). */
    public synchronized short[] registers(int start, int count) {
        short[] out = new short[count];
        Map<String, Value> values = null;
        for (ModbusDecoder codec : modbusCodecs) {
            int first = codec.firstWireAddress();
            if (first >= start + count || first + codec.span() <= start) {
                continue;
            }
            short[] block = settings.get(codec.block());
            if (block == null) {
                values = values == null ? values() : values;
                block = new short[codec.span()];
                codec.encode(values(codec.block().fields(), values), first, block);
            }
            for (int a = Math.max(start, first); a < Math.min(start + count, first + codec.span()); a++) {
                out[a - start] = block[a - first];
            }
        }
        return out;
    }

    /** A write of one register of a writable block (FC06, or one register of FC16). */
    public synchronized void write(int wireAddress, int value) {
        for (ModbusDecoder codec : modbusCodecs) {
            short[] block = settings.get(codec.block());
            if (block != null && wireAddress >= codec.firstWireAddress()
                    && wireAddress < codec.firstWireAddress() + codec.span()) {
                block[wireAddress - codec.firstWireAddress()] = (short) value;
                cached = null;
                return;
            }
        }
        throw new IllegalArgumentException("register " + wireAddress + " is not writable");
    }
}
