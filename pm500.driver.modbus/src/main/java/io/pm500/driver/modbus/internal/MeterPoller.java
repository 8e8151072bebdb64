package io.pm500.driver.modbus.internal;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.driver.kit.BlockPoller;
import io.pm500.driver.kit.PollFailure;
import io.pm500.driver.modbus.internal.MeterSettings.BlockPlan;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter's Modbus connection and polls, on the driver kit's {@link BlockPoller} (the rules every driver follows):
 * this class only reads registers, classifies j2mod's failures and closes the connection.
 */
final class MeterPoller extends BlockPoller<BlockPlan> {
    static final String DRIVER = "pm500.driver.modbus";
    private static final Logger LOG = LoggerFactory.getLogger(MeterPoller.class);

    /** j2mod's words for a reply that was not the answer to the request sent (transaction id). */
    private static final String MISMATCH = "Executing transaction failed (tried";
    /** What to do about each Modbus exception code (Modbus Application Protocol v1.1b3, 7). */
    private static final Map<Integer, String> EXCEPTION_FIXES = Map.of(
            1, "the meter does not support this function code; check the block's functionCode in the profile",
            2, "the meter has no such register; check the profile's map against this meter's model and firmware",
            3, "the meter refuses the request's size; lower maxRegistersPerRequest",
            4, "the meter failed while reading; check the meter",
            6, "the meter is busy; poll this block less often",
            10, "a gateway has no path to this unit id; check unitId and the gateway's routing",
            11, "the device behind a gateway does not answer; check unitId, its wiring and serial settings");

    private final MeterSettings settings;
    private ModbusTCPMaster master;

    MeterPoller(MeterSettings settings, SampleConsumer consumer, Clock clock) {
        super(settings.meterId(), "Modbus", DRIVER, settings.endpoint(), settings.intervals(),
                settings.lostAfter(), settings.enabled(), settings.profile(), consumer, clock);
        this.settings = settings;
    }

    @Override
    protected Sample read(BlockPlan block) throws Exception {
        short[] registers = registers(block);
        return block.decoder().decode(settings.meterId(), now(), block.decoder().firstWireAddress(), registers,
                registers.length);
    }

    @Override
    protected boolean isOpen() {
        return master != null;
    }

    /** Garbage on the wire: resynchronise on a new connection at the next poll. */
    @Override
    protected boolean closesConnection(AcquisitionStatus status) {
        return status == AcquisitionStatus.PROTOCOL_ERROR;
    }

    /**
     * Reads the block's registers. A timeout or a broken connection is retried up to {@code retries} times, each
     * on a fresh connection so that a late reply to the failed request cannot be taken for the next one. A
     * connection the meter closed while idle is reopened at once and the request sent again, once: it never reached
     * the meter, so this costs no timeout and is not a retry.
     */
    private short[] registers(BlockPlan block) throws Exception {
        boolean reopened = false;
        for (int attempt = 0;;) {
            boolean reused = master != null;
            try {
                if (master == null) {
                    connect();
                }
                return transact(block);
            } catch (Exception e) {
                AcquisitionStatus status = status(e);
                if (status != AcquisitionStatus.TIMEOUT && status != AcquisitionStatus.CONNECTION_LOST) {
                    throw e;
                }
                disconnect();
                if (status == AcquisitionStatus.CONNECTION_LOST && reused && !reopened) {
                    reopened = true;
                } else if (attempt++ >= settings.retries()) {
                    throw e;
                }
            }
        }
    }

    private short[] transact(BlockPlan block) throws ModbusException, PollFailure {
        short[] registers = new short[block.decoder().span()];
        int base = block.decoder().firstWireAddress();
        for (ReadRequest r : block.requests()) {
            InputRegister[] read = r.functionCode() == 4
                    ? master.readInputRegisters(settings.unitId(), r.start(), r.count())
                    : master.readMultipleRegisters(settings.unitId(), r.start(), r.count());
            if (read.length != r.count()) {
                throw new PollFailure(AcquisitionStatus.PROTOCOL_ERROR, "asked for " + r.count()
                        + " registers at " + r.start() + ", got " + read.length + "; check the profile's block against"
                        + " this meter's map");
            }
            for (int i = 0; i < read.length; i++) {
                registers[r.start() - base + i] = (short) read[i].getValue();
            }
        }
        return registers;
    }

    private void connect() throws Exception {
        ModbusTCPMaster m = new ModbusTCPMaster(settings.host(), settings.port(), settings.timeoutMillis(), false);
        m.connect();
        // j2mod takes 0 retries for its default of 5, each on a new connection, and its transaction only exists
        // once connected: 1 = one try. Retries are ours (read), so one poll costs at most retries + 1 timeouts.
        m.setRetries(1);
        master = m;
        opened();
        LOG.debug("Modbus meter {}: connected to {}", settings.meterId(), settings.endpoint());
    }

    static AcquisitionStatus status(Throwable e) {
        if (e instanceof PollFailure own) {
            return own.status();
        }
        if (e instanceof ModbusSlaveException) {
            return AcquisitionStatus.DEVICE_ERROR;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return AcquisitionStatus.TIMEOUT;
            }
            if (t instanceof ConnectException || t instanceof SocketException) {
                return AcquisitionStatus.CONNECTION_LOST;
            }
        }
        if (e instanceof ModbusIOException io) {
            String m = String.valueOf(io.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (io.isEOF() || m.contains("premature end") || m.contains("connection")) {
                return AcquisitionStatus.CONNECTION_LOST;
            }
            if (m.contains("timed out") || m.contains("timeout")) {
                return AcquisitionStatus.TIMEOUT;
            }
            return AcquisitionStatus.PROTOCOL_ERROR;
        }
        return e instanceof ModbusException ? AcquisitionStatus.PROTOCOL_ERROR : AcquisitionStatus.CONNECTION_LOST;
    }

    @Override
    protected PollFailure classify(Exception e) {
        return new PollFailure(status(e), describe(e));
    }

    private String describe(Throwable e) {
        if (e instanceof ModbusSlaveException s) {
            return "Modbus exception " + s.getType() + " (" + ModbusSlaveException.getMessage(s.getType()) + "): "
                    + EXCEPTION_FIXES.getOrDefault(s.getType(), "see the meter's manual for this code");
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains(MISMATCH)) {
            return "the reply's transaction id did not match the request's (the device, or a gateway between,"
                    + " answered another request); reconnected to resynchronise";
        }
        return switch (status(e)) {
            case TIMEOUT -> message.contains("connect timed out")
                    ? "the meter did not accept the TCP connection within " + settings.timeoutMillis() + " ms"
                    : "no reply within " + settings.timeoutMillis() + " ms from unit " + settings.unitId();
            case CONNECTION_LOST -> message.contains("Premature end")
                    ? "the meter closed the connection" : e.getClass().getSimpleName() + ": " + message;
            default -> e.getClass().getSimpleName() + ": " + message;
        };
    }

    @Override
    protected void disconnect() {
        if (master != null) {
            master.disconnect();
            master = null;
        }
    }
}
