package io.pm500.simulator;

import com.ghgande.j2mod.modbus.procimg.DigitalIn;
import com.ghgande.j2mod.modbus.procimg.DigitalOut;
import com.ghgande.j2mod.modbus.procimg.FIFO;
import com.ghgande.j2mod.modbus.procimg.File;
import com.ghgande.j2mod.modbus.procimg.IllegalAddressException;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.procimg.ProcessImage;
import com.ghgande.j2mod.modbus.procimg.Register;
import com.ghgande.j2mod.modbus.procimg.SimpleInputRegister;

/**
 * A meter's registers for j2mod's request classes: FC03 and FC04 read the same data, FC06/FC16 write only the writable
 * settings, and anything the profile does not map answers Illegal Data Address.
 */
final class MeterProcessImage implements ProcessImage {
    private final SimulatedMeter meter;

    MeterProcessImage(SimulatedMeter meter) {
        this.meter = meter;
    }

    @Override
    public InputRegister[] getInputRegisterRange(int offset, int count) {
        check(offset, count);
        short[] values = meter.registers(offset, count);
        InputRegister[] out = new InputRegister[count];
        for (int i = 0; i < count; i++) {
            out[i] = new SimpleInputRegister(values[i] & 0xffff);
        }
        return out;
    }

    @Override
    public InputRegister getInputRegister(int ref) {
        return getInputRegisterRange(ref, 1)[0];
    }

    @Override
    public Register[] getRegisterRange(int offset, int count) {
        check(offset, count);
        short[] values = meter.registers(offset, count);
        Register[] out = new Register[count];
        for (int i = 0; i < count; i++) {
            out[i] = new MeterRegister(offset + i, values[i] & 0xffff);
        }
        return out;
    }

    @Override
    public Register getRegister(int ref) {
        return getRegisterRange(ref, 1)[0];
    }

    private void check(int offset, int count) {
        for (int a = offset; a < offset + count; a++) {
            if (!meter.mapped(a)) {
                throw new IllegalAddressException("register " + a + " is not mapped");
            }
        }
    }

    /** A holding register: reads like the input register, writes reach the meter only where it allows them. */
    private final class MeterRegister implements Register {
        private final int address;
        private int value;

        MeterRegister(int address, int value) {
            this.address = address;
            this.value = value;
        }

        @Override
        public int getValue() {
            return value;
        }

        @Override
        public int toUnsignedShort() {
            return value;
        }

        @Override
        public short toShort() {
            return (short) value;
        }

        @Override
        public byte[] toBytes() {
            return new byte[] { (byte) (value >>> 8), (byte) value };
        }

        @Override
        public void setValue(int v) {
            if (!meter.writable(address)) {
                throw new IllegalAddressException("register " + address + " is read-only");
            }
            meter.write(address, v & 0xffff);
            value = v & 0xffff;
        }

        @Override
        public void setValue(short s) {
            setValue(s & 0xffff);
        }

        @Override
        public void setValue(byte[] bytes) {
            setValue((bytes[0] & 0xff) << 8 | (bytes[1] & 0xff));
        }
    }

    // The PM500 has no coils, discrete inputs, files or FIFOs.

    @Override
    public DigitalOut[] getDigitalOutRange(int offset, int count) {
        throw new IllegalAddressException();
    }

    @Override
    public DigitalOut getDigitalOut(int ref) {
        throw new IllegalAddressException();
    }

    @Override
    public int getDigitalOutCount() {
        return 0;
    }

    @Override
    public DigitalIn[] getDigitalInRange(int offset, int count) {
        throw new IllegalAddressException();
    }

    @Override
    public DigitalIn getDigitalIn(int ref) {
        throw new IllegalAddressException();
    }

    @Override
    public int getDigitalInCount() {
        return 0;
    }

    @Override
    public int getInputRegisterCount() {
        return 0x10000;
    }

    @Override
    public int getRegisterCount() {
        return 0x10000;
    }

    @Override
    public File getFile(int ref) {
        throw new IllegalAddressException();
    }

    @Override
    public File getFileByNumber(int ref) {
        throw new IllegalAddressException();
    }

    @Override
    public int getFileCount() {
        return 0;
    }

    @Override
    public FIFO getFIFO(int ref) {
        throw new IllegalAddressException();
    }

    @Override
    public FIFO getFIFOByAddress(int ref) {
        throw new IllegalAddressException();
    }

    @Override
    public int getFIFOCount() {
        return 0;
    }
}
