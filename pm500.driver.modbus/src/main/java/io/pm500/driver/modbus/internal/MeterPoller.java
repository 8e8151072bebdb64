package io.pm500.driver.modbus.internal;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import io.pm500.api.poll.ConnectionHealth;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.MeterStatus;
import io.pm500.driver.modbus.internal.MeterSettings.BlockPlan;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter's Modbus connection and polls. Runs on the meter's queue only (one poll at a time); its status is
 * published as an immutable snapshot any thread may read. Every failure becomes a sample with its acquisition
 * status; nothing escapes to the scheduler.
 */
final class MeterPoller {
    static final String DRIVER = "pm500.driver.modbus";
    private static final Logger LOG = LoggerFactory.getLogger(MeterPoller.class);

    private final MeterSettings settings;
    private final SampleConsumer consumer;
    private final Clock clock;
    private final ConnectionHealth health;
    private ModbusTCPMaster master;
    private final Set<String> readThisConnection = new HashSet<>();
    private boolean closed;

    MeterPoller(MeterSettings settings, SampleConsumer consumer, Clock clock) {
        this.settings = settings;
        this.consumer = consumer;
        this.clock = clock;
        this.health = new ConnectionHealth(settings.meterId(), DRIVER, settings.endpoint(),
                settings.intervals(), settings.lostAfter(), settings.enabled(), clock);
    }

    MeterStatus status() {
        return health.status();
    }

    /** How long until the next connection attempt; zero when connected or due. */
    synchronized Duration reconnectDelay() {
        return master != null ? Duration.ZERO : health.untilNextAttempt();
    }

    /** Polls one block: connects if needed, reads its requests, decodes, hands the sample on. */
    synchronized void poll(BlockPlan block) {
        if (closed) {
            return;
        }
        if (block.intervalMillis() == 0 && readThisConnection.contains(block.blockId())) {
            return; // once per connection
        }
        if (master == null && health.backingOff()) {
            if (block.intervalMillis() == 0) {
                return; // a once-per-connection block waits for the connection; the periodic blocks report the outage
            }
            deliver(health.outage(block.blockId(), clock.instant()));
            return;
        }
        health.pollStarted();
        long t0 = System.nanoTime();
        Sample sample;
        try {
            short[] registers = read(block);
            sample = block.decoder().decode(settings.meterId(), clock.instant(), block.decoder().firstWireAddress(),
                    registers, registers.length);
        } catch (Exception e) {
            sample = Sample.failed(settings.meterId(), block.blockId(), clock.instant(), classify(e),
                    describe(e));
        }
        if (sample.status() == AcquisitionStatus.OK) {
            health.succeeded(System.nanoTime() - t0);
            readThisConnection.add(block.blockId());
        } else {
            failed(sample);
        }
        deliver(sample);
    }

    /**
     * Reads the block's registers. A timeout or a broken connection is retried up to {@code retries} times, each
     * on a fresh connection so that a late reply to the failed request cannot be taken for the next one.
     */
    private short[] read(BlockPlan block) throws Exception {
        for (int attempt = 0;; attempt++) {
            try {
                if (master == null) {
                    connect();
                }
                short[] registers = new short[block.decoder().span()];
                int base = block.decoder().firstWireAddress();
                for (ReadRequest r : block.requests()) {
                    InputRegister[] read = r.functionCode() == 4
                            ? master.readInputRegisters(settings.unitId(), r.start(), r.count())
                            : master.readMultipleRegisters(settings.unitId(), r.start(), r.count());
                    if (read.length != r.count()) {
                        throw new ModbusIOException("asked for " + r.count() + " registers at " + r.start()
                                + ", got " + read.length);
                    }
                    for (int i = 0; i < read.length; i++) {
                        registers[r.start() - base + i] = (short) read[i].getValue();
                    }
                }
                return registers;
            } catch (Exception e) {
                AcquisitionStatus status = classify(e);
                if (attempt >= settings.retries()
                        || status != AcquisitionStatus.TIMEOUT && status != AcquisitionStatus.CONNECTION_LOST) {
                    throw e;
                }
                disconnect();
            }
        }
    }

    private void connect() throws Exception {
        ModbusTCPMaster m = new ModbusTCPMaster(settings.host(), settings.port(), settings.timeoutMillis(), false);
        m.setRetries(0); // retries are ours: a failed read becomes a sample, the next poll tries again
        m.connect();
        master = m;
        readThisConnection.clear();
        LOG.info("Modbus meter {}: connected to {}", settings.meterId(), settings.endpoint());
    }

    private void failed(Sample sample) {
        AcquisitionStatus status = sample.status();
        // a timeout or a broken (or never opened) connection: reconnect after a backoff
        boolean backOff = master == null || status == AcquisitionStatus.TIMEOUT
                || status == AcquisitionStatus.CONNECTION_LOST;
        if (backOff || status == AcquisitionStatus.PROTOCOL_ERROR) {
            disconnect(); // garbage on the wire too: resynchronise on a new connection at the next poll
        }
        health.failed(status, sample.detail(), backOff);
    }

    static AcquisitionStatus classify(Throwable e) {
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

    private static String describe(Throwable e) {
        if (e instanceof ModbusSlaveException s) {
            return "Modbus exception code " + s.getType() + " (" + ModbusSlaveException.getMessage(s.getType()) + ")";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private void deliver(Sample sample) {
        try {
            consumer.accept(sample);
        } catch (RuntimeException e) {
            LOG.error("Modbus meter {}: the pipeline did not take a sample of block {}: {}", settings.meterId(),
                    sample.blockId(), e.toString());
        }
    }

    private void disconnect() {
        if (master != null) {
            master.disconnect();
            master = null;
        }
    }

    /** Closes the connection; no poll runs after this returns. */
    synchronized void close() {
        closed = true;
        disconnect();
        health.disabled();
    }
}
