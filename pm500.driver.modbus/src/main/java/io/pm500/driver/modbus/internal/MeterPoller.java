package io.pm500.driver.modbus.internal;

import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.msg.ModbusRequest;
import com.ghgande.j2mod.modbus.msg.ReadInputRegistersRequest;
import com.ghgande.j2mod.modbus.msg.ReadMultipleRegistersRequest;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.driver.kit.PollBlock;
import io.pm500.driver.kit.PollFailure;
import io.pm500.driver.kit.PollGrid;
import io.pm500.driver.kit.PollRules;
import io.pm500.driver.modbus.internal.MeterSettings.BlockPlan;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter's Modbus TCP connection and polls, on a {@link ModbusLoop} and by the driver kit's {@link PollRules}:
 * each block on its own fixed-rate timer in a slot of the driver's {@link PollGrid}, one transaction at a time (a
 * block due while another is read waits its turn, once), requests framed by j2mod once per configuration, replies
 * checked and decoded as they arrive. Nothing here blocks: a silent meter costs a time-out in the loop's heap, not a
 * thread.
 * <p>
 * A time-out or a broken connection is retried up to {@code retries} times, each on a fresh connection so that a
 * late reply to the failed request cannot be taken for the next one. A connection the meter closes while idle is
 * noticed when it happens (the socket is always read) and reopened by the next poll at once, without a backoff.
 * Everything runs on the loop's thread under this object's monitor, which {@link #close()} takes too.
 */
final class MeterPoller extends PollRules<BlockPlan> implements ModbusLoop.Ready {
    static final String DRIVER = "pm500.driver.modbus";
    private static final Logger LOG = LoggerFactory.getLogger(MeterPoller.class);
    /** MBAP header (7) + function code, byte count and 125 registers. */
    private static final int MAX_ADU = 7 + 2 + 250;
    /** A host given as an address needs no name service; anything else is resolved off the loop. */
    private static final Pattern LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|.*:.*");
    /** What to do about each Modbus exception code (Modbus Application Protocol v1.1b3, 7). */
    private static final Map<Integer, String> EXCEPTION_FIXES = Map.of(
            1, "the meter does not support this function code; check the block's functionCode in the profile",
            2, "the meter has no such register; check the profile's map against this meter's model and firmware",
            3, "the meter refuses the request's size; lower maxRegistersPerRequest",
            4, "the meter failed while reading; check the meter",
            6, "the meter is busy; poll this block less often",
            10, "a gateway has no path to this unit id; check unitId and the gateway's routing",
            11, "the device behind a gateway does not answer; check unitId, its wiring and serial settings");

    /** One block's schedule, its requests as framed on the wire, and whether a poll of it waits its turn. */
    private final class BlockTimer extends ModbusLoop.Timer {
        final BlockPlan plan;
        final byte[][] frames;
        final long minGapNanos;
        PollGrid.Slot slot; // while started
        long next;
        long lastStart = Long.MIN_VALUE / 2;
        boolean waiting;

        BlockTimer(BlockPlan plan) {
            this.plan = plan;
            frames = plan.requests().stream().map(r -> frame(r, settings.unitId())).toArray(byte[][]::new);
            minGapNanos = PollBlock.minGapNanos(plan.intervalMillis());
        }

        @Override
        void expired(long now) {
            synchronized (MeterPoller.this) {
                if (closed()) {
                    return;
                }
                next = grid.nextNanos(slot, now); // held up: the rate is kept, what passed is skipped
                loop.at(this, next);
                due(this, now);
            }
        }
    }

    /** The transaction's time-out, pushed back at every request. */
    private final ModbusLoop.Timer timeout = new ModbusLoop.Timer() {
        @Override
        void expired(long now) {
            synchronized (MeterPoller.this) {
                if (!closed() && current != null) {
                    attemptFailed(AcquisitionStatus.TIMEOUT, connecting
                            ? "the meter did not accept the TCP connection within " + settings.timeoutMillis() + " ms"
                            : "no reply within " + settings.timeoutMillis() + " ms from unit " + settings.unitId());
                }
            }
        }
    };

    private final MeterSettings settings;
    private final ByteBuffer out = ByteBuffer.allocate(12);
    private final ByteBuffer in = ByteBuffer.allocate(MAX_ADU + 1); // one more: a reply too long is seen
    private final short[] registers;
    private final ArrayDeque<BlockTimer> waiting = new ArrayDeque<>();
    private final ModbusLoop loop;
    private final PollGrid grid;
    private final Map<String, BlockTimer> timers = new LinkedHashMap<>();
    private InetSocketAddress address;
    private SocketChannel channel;
    private SelectionKey key;
    private boolean connecting;
    /** The meter closed the idle connection: the next poll reopens it at once. */
    private boolean endedIdle;
    /** Counts connection attempts, so that a host name resolved after its attempt timed out is ignored. */
    private int attemptId;
    private int transactionId;

    // the poll under way
    private BlockTimer current;
    private int request;
    private int attempt;
    private boolean reused;
    private boolean reopened;
    private long startNanos;

    /**
     * @param loop the loop the meter is polled on, once {@linkplain #start() started}
     * @param grid where in their periods its blocks are polled
     */
    MeterPoller(MeterSettings settings, SampleConsumer consumer, Clock clock, ModbusLoop loop, PollGrid grid) {
        super(settings.meterId(), "Modbus", DRIVER, settings.endpoint(), settings.intervals(), settings.lostAfter(),
                settings.enabled(), settings.profile(), new LoopConsumer(loop, consumer), clock);
        this.settings = settings;
        this.loop = loop;
        this.grid = grid;
        registers = new short[settings.blocks().stream().mapToInt(b -> b.decoder().span()).max().orElse(0)];
        settings.blocks().forEach(b -> timers.put(b.blockId(), new BlockTimer(b)));
    }

    /** The request's Modbus TCP frame as j2mod writes it; the transaction id is set at each send. */
    static byte[] frame(ReadRequest r, int unitId) {
        ModbusRequest request = r.functionCode() == 4 ? new ReadInputRegistersRequest(r.start(), r.count())
                : new ReadMultipleRegistersRequest(r.start(), r.count());
        request.setUnitID(unitId);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            request.writeTo(new DataOutputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** Starts each block's timer on the loop; a disabled meter is only reported. */
    void start() {
        logStart(settings.blocks());
        if (!enabled()) {
            return;
        }
        loop.execute(() -> {
            synchronized (this) {
                if (closed()) {
                    return;
                }
                long now = System.nanoTime();
                for (BlockTimer t : timers.values()) {
                    // by server, not unit: the units behind one gateway are kept apart
                    t.slot = grid.join(PollBlock.periodMillis(t.plan.intervalMillis()),
                            settings.host() + ":" + settings.port());
                    t.next = grid.firstNanos(t.slot, now);
                    loop.at(t, t.next);
                }
            }
        });
    }

    /** Polls {@code block} now, or as soon as the poll under way ends; on the loop's thread. */
    synchronized void poll(BlockPlan block) {
        if (!closed()) {
            run(timers.get(block.blockId()), System.nanoTime());
        }
    }

    private void due(BlockTimer block, long now) {
        if (now - block.lastStart >= block.minGapNanos) { // else the last one ran late: this cycle is skipped
            run(block, now);
        }
    }

    private void run(BlockTimer block, long now) {
        if (block.waiting) {
            return; // the previous poll waits its turn: this one is not queued behind it
        }
        if (current != null) {
            block.waiting = true;
            waiting.add(block);
            return;
        }
        start(block, now);
    }

    private void start(BlockTimer block, long now) {
        block.lastStart = now;
        if (!begin(block.plan)) {
            return;
        }
        current = block;
        request = 0;
        attempt = 0;
        reopened = false;
        startNanos = now;
        reused = channel != null;
        if (channel == null) {
            connect();
        } else {
            send();
        }
    }

    /** The poll under way is over: the next waiting block, if any, starts. */
    private void finish(Sample sample) {
        BlockTimer block = current;
        current = null;
        loop.cancel(timeout);
        end(block.plan, sample, startNanos);
        for (BlockTimer next; current == null && !closed() && (next = waiting.poll()) != null;) {
            next.waiting = false;
            start(next, System.nanoTime());
        }
    }

    private void fail(AcquisitionStatus status, String detail) {
        finish(Sample.failed(settings.meterId(), current.plan.blockId(), now(), status, detail));
    }

    /**
     * A try failed: a time-out or a lost connection is tried again on a fresh connection while retries are left (and
     * once more, not counted, when a reused connection turns out closed: the request never reached the meter).
     */
    private void attemptFailed(AcquisitionStatus status, String detail) {
        boolean retriable = status == AcquisitionStatus.TIMEOUT || status == AcquisitionStatus.CONNECTION_LOST;
        if (retriable) {
            closeChannel(); // an exception reply leaves the connection as it is; garbage closes it by the rules
        }
        if (retriable && status == AcquisitionStatus.CONNECTION_LOST && reused && !reopened) {
            reopened = true;
        } else if (!retriable || attempt++ >= settings.retries()) {
            fail(status, detail);
            return;
        }
        reused = false;
        request = 0;
        connect();
    }

    private void connect() {
        connecting = true;
        int id = ++attemptId;
        loop.at(timeout, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis()));
        if (address != null || LITERAL.matcher(settings.host()).matches()) {
            connectTo(address != null ? address : new InetSocketAddress(settings.host(), settings.port()));
            return;
        }
        loop.resolve(settings.host(), settings.port(), resolved -> {
            synchronized (this) {
                if (!closed() && current != null && connecting && id == attemptId) {
                    if (resolved.isUnresolved()) {
                        attemptFailed(AcquisitionStatus.CONNECTION_LOST, "the host name '" + settings.host()
                                + "' is not known; check host");
                    } else {
                        address = resolved;
                        connectTo(resolved);
                    }
                }
            }
        });
    }

    private void connectTo(InetSocketAddress to) {
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            boolean done = channel.connect(to);
            key = loop.register(channel, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
            if (done) {
                connected();
            }
        } catch (IOException e) {
            address = null; // a name is looked up again at the next attempt
            attemptFailed(AcquisitionStatus.CONNECTION_LOST, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private void connected() {
        connecting = false;
        key.interestOps(SelectionKey.OP_READ);
        opened();
        LOG.debug("Modbus meter {}: connected to {}", settings.meterId(), settings.endpoint());
        send();
    }

    private void send() {
        byte[] frame = current.frames[request];
        transactionId = (transactionId + 1) & 0xFFFF;
        out.clear();
        out.put(frame).putShort(0, (short) transactionId).flip();
        in.clear();
        loop.at(timeout, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis()));
        try {
            channel.write(out);
            if (out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        } catch (IOException e) {
            attemptFailed(AcquisitionStatus.CONNECTION_LOST, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    @Override
    public synchronized void ready(SelectionKey ready) {
        if (closed() || ready != key || !ready.isValid()) {
            return;
        }
        try {
            if (ready.isConnectable()) {
                channel.finishConnect();
                connected();
            } else {
                if (ready.isWritable()) {
                    channel.write(out);
                    if (!out.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                }
                if (ready.isReadable()) {
                    read();
                }
            }
        } catch (IOException e) {
            if (connecting) {
                address = null;
            }
            lost(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private void read() throws IOException {
        if (current == null) {
            in.clear(); // the last reply is done with
        }
        int n = channel.read(in);
        if (n < 0) {
            lost("the meter closed the connection");
            return;
        }
        if (current == null) { // bytes nobody asked for: out of step, start afresh at the next poll
            lost("the meter sent " + n + " bytes unasked");
            return;
        }
        if (in.position() < 7) {
            return;
        }
        int length = in.getShort(4) & 0xFFFF;
        if (length < 3 || length > MAX_ADU - 6) {
            attemptFailed(AcquisitionStatus.PROTOCOL_ERROR, "a reply's length field says " + length
                    + " bytes, not 3.." + (MAX_ADU - 6) + ": the meter does not speak Modbus TCP on port "
                    + settings.port() + ", or the stream is out of step; reconnected to resynchronise");
            return;
        }
        if (in.position() < 6 + length) {
            return;
        }
        PollFailure bad = reply(length);
        if (bad != null) {
            attemptFailed(bad.status(), bad.detail());
        } else if (++request < current.frames.length) {
            send();
        } else {
            decoded();
        }
    }

    /** Checks a whole reply and copies its registers; null when it is the answer asked for. */
    private PollFailure reply(int length) {
        if (in.position() > 6 + length) {
            return new PollFailure(AcquisitionStatus.PROTOCOL_ERROR, (in.position() - 6 - length)
                    + " bytes beyond the reply's length; reconnected to resynchronise");
        }
        if ((in.getShort(0) & 0xFFFF) != transactionId || in.getShort(2) != 0) {
            return new PollFailure(AcquisitionStatus.PROTOCOL_ERROR, "the reply's transaction id did not match the"
                    + " request's (the device, or a gateway between, answered another request); reconnected to"
                    + " resynchronise");
        }
        ReadRequest r = current.plan.requests().get(request);
        int function = in.get(7) & 0xFF;
        if (function == (r.functionCode() | 0x80)) {
            int code = in.get(8) & 0xFF;
            return new PollFailure(AcquisitionStatus.DEVICE_ERROR, "Modbus exception " + code + " ("
                    + ModbusSlaveException.getMessage(code) + "): "
                    + EXCEPTION_FIXES.getOrDefault(code, "see the meter's manual for this code"));
        }
        int bytes = in.get(8) & 0xFF;
        if (function != r.functionCode() || bytes != 2 * r.count() || length != 3 + bytes) {
            return new PollFailure(AcquisitionStatus.PROTOCOL_ERROR, "asked for " + r.count() + " registers at "
                    + r.start() + " with function " + r.functionCode() + ", got function " + function + " with "
                    + bytes + " bytes; check the profile's block against this meter's map");
        }
        int offset = r.start() - current.plan.decoder().firstWireAddress();
        for (int i = 0; i < r.count(); i++) {
            registers[offset + i] = in.getShort(9 + 2 * i);
        }
        return null;
    }

    private void decoded() {
        BlockPlan block = current.plan;
        Sample sample;
        try {
            sample = block.decoder().decode(settings.meterId(), now(), block.decoder().firstWireAddress(),
                    registers, block.decoder().span());
        } catch (RuntimeException e) {
            sample = failed(block, e);
        }
        finish(sample);
    }

    /** The connection broke: while a poll is under way, its try failed; while idle, the next poll reopens it. */
    private void lost(String detail) {
        if (current != null) {
            attemptFailed(AcquisitionStatus.CONNECTION_LOST, detail);
        } else {
            LOG.debug("Modbus meter {}: idle connection ended ({}); the next poll opens a new one",
                    settings.meterId(), detail);
            closeChannel();
            endedIdle = true;
        }
    }

    @Override
    public synchronized void crashed(RuntimeException e) {
        LOG.error("Modbus meter {}: {}", settings.meterId(), e.toString(), e);
        if (current != null && !closed()) {
            closeChannel();
            fail(AcquisitionStatus.PROTOCOL_ERROR, e.toString());
        }
    }

    @Override
    protected boolean droppedEnded() {
        boolean ended = endedIdle;
        endedIdle = false;
        return ended;
    }

    @Override
    protected boolean isOpen() {
        return channel != null;
    }

    /** Garbage on the wire: resynchronise on a new connection at the next poll. */
    @Override
    protected boolean closesConnection(AcquisitionStatus status) {
        return status == AcquisitionStatus.PROTOCOL_ERROR;
    }

    @Override
    protected PollFailure classify(Exception e) {
        return new PollFailure(AcquisitionStatus.PROTOCOL_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    @Override
    protected void disconnect() {
        closeChannel();
    }

    private void closeChannel() {
        connecting = false;
        if (channel != null) {
            try {
                channel.close(); // cancels the key
            } catch (IOException e) {
                LOG.debug("Modbus meter {}: closing the connection: {}", settings.meterId(), e.toString());
            }
            channel = null;
            key = null;
        }
    }

    /**
     * Stops the timers, leaves the grid and closes the connection; no poll runs after this returns (the loop sees it
     * closed).
     */
    @Override
    public synchronized void close() {
        closeRules();
        for (BlockTimer t : timers.values()) {
            if (t.slot != null) {
                grid.leave(t.slot);
                t.slot = null;
            }
        }
    }
}
