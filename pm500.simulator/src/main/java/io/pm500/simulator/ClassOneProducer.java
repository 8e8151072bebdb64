package io.pm500.simulator;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipIo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Class 1 (I/O) production of the simulated meters, at the connection points their profile's {@code cip.io} names:
 * input-only and listen-only connections (a PM500 has no output assembly, so nothing to own exclusively). The
 * produced assembly goes point-to-point every RPI, from one UDP socket, to the originator's address and the port its
 * T->O Sockaddr Info item names (else 2222); the originator's heartbeats arrive on the same socket, whose port the
 * Forward_Open reply names in an O->T Sockaddr Info item. A connection without a heartbeat for RPI × multiplier is
 * closed, and listen-only connections close with the last connection producing their assembly. Refusals are a
 * device's: listen-only without such a connection 0x01/0x0119, a connection size that is not the assembly's
 * 0x0127/0x0128, an RPI outside the profile's limits 0x0111, connection points the profile does not name 0x0117,
 * no connection left 0x0113.
 */
final class ClassOneProducer implements AutoCloseable {
    static final int ITEM_SOCKADDR_O2T = 0x8000;
    static final int ITEM_SOCKADDR_T2O = 0x8001;
    static final int ITEM_SEQUENCED_ADDRESS = 0x8002;
    private static final int EIP_IO_PORT = 2222;
    private static final Logger LOG = LoggerFactory.getLogger(ClassOneProducer.class);

    /** What a Forward_Open of transport class 1 asks for. */
    record Request(int o2tId, int t2oId, int serial, int vendor, int originator, int multiplierCode,
            long o2tRpiMicros, int o2tSize, long t2oRpiMicros, int t2oSize, boolean t2oMulticast,
            int configuration, int heartbeatPoint, int producedPoint) {
    }

    /** An open connection: its own heartbeat watchdog, and the production it takes part in. */
    private static final class Produced {
        final SimulatedMeter meter;
        final Request request;
        final boolean listenOnly;
        final Stream stream;
        final long watchdogNanos;
        volatile long lastHeartbeatNanos = System.nanoTime();

        Produced(SimulatedMeter meter, Request request, boolean listenOnly, Stream stream) {
            this.meter = meter;
            this.request = request;
            this.listenOnly = listenOnly;
            this.stream = stream;
            this.watchdogNanos = request.o2tRpiMicros() * 1000 * (4L << request.multiplierCode());
        }
    }

    /**
     * One production on the timer: point-to-point, one per connection; multicast, one per assembly, shared by every
     * connection to it (same T->O id, same datagrams).
     */
    private final class Stream {
        final SimulatedMeter meter;
        final CipBlock block;
        final int t2oId;
        final int size;
        final long rpiMicros;
        final InetSocketAddress to;
        final boolean multicast;
        final Set<Produced> members = ConcurrentHashMap.newKeySet();
        final ByteBuffer datagram;
        int sequence;
        short count;
        byte[] last;
        ScheduledFuture<?> task;

        Stream(SimulatedMeter meter, CipBlock block, int t2oId, int size, long rpiMicros, InetSocketAddress to,
                boolean multicast) {
            this.meter = meter;
            this.block = block;
            this.t2oId = t2oId;
            this.size = size;
            this.rpiMicros = rpiMicros;
            this.to = to;
            this.multicast = multicast;
            this.datagram = ByteBuffer.allocate(2 + 12 + 4 + size).order(ByteOrder.LITTLE_ENDIAN);
        }

        void produce() {
            long now = System.nanoTime();
            for (Produced p : members) {
                if (now - p.lastHeartbeatNanos > p.watchdogNanos) {
                    LOG.debug("meter {}: Class 1 connection 0x{} timed out: no heartbeat for {} ms", meter.index(),
                            Integer.toHexString(p.request.o2tId()), p.watchdogNanos / 1_000_000);
                    end(p);
                }
            }
            if (members.isEmpty()) {
                return;
            }
            byte[] data = meter.cipData(block.classId(), block.instance(), block.attribute());
            if (last == null || !java.util.Arrays.equals(data, last)) {
                count++; // the class 1 sequence count marks new data
                last = data;
            }
            datagram.clear();
            datagram.putShort((short) 2).putShort((short) ITEM_SEQUENCED_ADDRESS).putShort((short) 8)
                    .putInt(t2oId).putInt(++sequence).putShort((short) Cip.ITEM_CONNECTED_DATA)
                    .putShort((short) size).putShort(count);
            for (int i = 2 + data.length; i < size; i++) {
                datagram.put((byte) 0); // a run/idle header, when the profile has one: run = 0 (idle)
            }
            datagram.put(data).flip();
            try {
                channel.send(datagram, to);
            } catch (IOException e) {
                LOG.debug("meter {}: Class 1 datagram to {} not sent: {}", meter.index(), to, e.toString());
            }
        }
    }

    private final DatagramChannel channel;
    private final Thread receiver;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pm500-sim-cip-io-producer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger nextId = new AtomicInteger(0x20000);
    private final Map<Integer, Produced> byO2tId = new ConcurrentHashMap<>();
    private final Map<SimulatedMeter, Set<Produced>> byMeter = new ConcurrentHashMap<>();

    /** Binds the meters' Class 1 socket on this address (a free port); multicast leaves by its interface. */
    ClassOneProducer(String host) throws IOException {
        channel = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(host, 0));
        NetworkInterface nic = NetworkInterface.getByInetAddress(InetAddress.getByName(host));
        if (nic != null) {
            channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, nic);
        }
        receiver = new Thread(this::receive, "pm500-sim-cip-io-heartbeats");
        receiver.setDaemon(true);
        receiver.start();
    }

    int port() throws IOException {
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /** The meter's open Class 1 connections. */
    int count(SimulatedMeter meter) {
        return byMeter.getOrDefault(meter, Set.of()).size();
    }

    /**
     * A Forward_Open's outcome: the connection's ids ({@code status} 0) and, multicast, where its production goes;
     * or the extended status of the refusal.
     */
    record Outcome(int status, Request opened, InetSocketAddress group) {
    }

    /**
     * Opens a connection or says why not.
     *
     * @param t2oPort the port of the originator's T->O Sockaddr Info item, or -1
     * @param room    whether the meter has a connection left
     */
    synchronized Outcome open(SimulatedMeter meter, Request r, InetAddress peer, int t2oPort, boolean room) {
        CipIo io = meter.profile().cip().io();
        boolean listenOnly = io != null && r.heartbeatPoint() == io.listenOnlyPoint();
        CipBlock block = meter.profile().cip().blocks().stream()
                .filter(b -> b.classId() == Cip.CLASS_ASSEMBLY && b.instance() == r.producedPoint()).findFirst()
                .orElse(null);
        if (io == null || block == null || r.configuration() != io.configurationInstance()
                || (!listenOnly && r.heartbeatPoint() != io.inputOnlyPoint())) {
            return new Outcome(0x0117, null, null); // invalid connection point
        }
        int dataOffset = 2 + (io.runIdleHeader() ? 4 : 0);
        if (r.o2tSize() != 2) {
            return new Outcome(0x0127, null, null);
        }
        if (r.t2oSize() != dataOffset + block.size()) {
            return new Outcome(0x0128, null, null);
        }
        if (r.t2oRpiMicros() < io.minRpiMillis() * 1000 || r.t2oRpiMicros() > io.maxRpiMillis() * 1000) {
            return new Outcome(0x0111, null, null);
        }
        if (r.t2oMulticast() && !io.multicast()) {
            return new Outcome(0x0123, null, null); // invalid T->O connection type
        }
        Stream shared = !r.t2oMulticast() ? null : byMeter.getOrDefault(meter, Set.of()).stream()
                .map(p -> p.stream).filter(st -> st.multicast && st.block.instance() == block.instance()).findFirst()
                .orElse(null);
        if (shared != null && shared.rpiMicros != r.t2oRpiMicros()) {
            return new Outcome(0x0111, null, null); // a shared production has one RPI
        }
        if (listenOnly && byMeter.getOrDefault(meter, Set.of()).stream()
                .noneMatch(p -> !p.listenOnly && p.stream.block.instance() == block.instance())) {
            return new Outcome(0x0119, null, null);
        }
        if (!room) {
            return new Outcome(Cip.EXT_OUT_OF_CONNECTIONS, null, null);
        }
        int o2tId = nextId.getAndIncrement();
        Stream stream = shared;
        if (stream == null) {
            // point-to-point: the originator's T->O id, to its address; multicast: our id, to the meter's group
            stream = r.t2oMulticast()
                    ? new Stream(meter, block, nextId.getAndIncrement(), r.t2oSize(), r.t2oRpiMicros(),
                            new InetSocketAddress(group(meter), EIP_IO_PORT), true)
                    : new Stream(meter, block, r.t2oId(), r.t2oSize(), r.t2oRpiMicros(),
                            new InetSocketAddress(peer, t2oPort > 0 ? t2oPort : EIP_IO_PORT), false);
        }
        Request assigned = new Request(o2tId, stream.t2oId, r.serial(), r.vendor(), r.originator(),
                r.multiplierCode(), r.o2tRpiMicros(), r.o2tSize(), r.t2oRpiMicros(), r.t2oSize(), r.t2oMulticast(),
                r.configuration(), r.heartbeatPoint(), r.producedPoint());
        Produced p = new Produced(meter, assigned, listenOnly, stream);
        stream.members.add(p);
        byO2tId.put(o2tId, p);
        byMeter.computeIfAbsent(meter, m -> ConcurrentHashMap.newKeySet()).add(p);
        if (stream.task == null) {
            Stream st = stream;
            st.task = timer.scheduleAtFixedRate(st::produce, 0, r.t2oRpiMicros(), TimeUnit.MICROSECONDS);
        }
        return new Outcome(0, assigned, stream.multicast ? stream.to : null);
    }

    /** Forward_Close of a Class 1 connection; false when it is not one of them. */
    synchronized boolean close(SimulatedMeter meter, int serial, int vendor, int originator) {
        for (Produced p : List.copyOf(byMeter.getOrDefault(meter, Set.of()))) {
            if (p.request.serial() == serial && p.request.vendor() == vendor && p.request.originator() == originator) {
                end(p);
                return true;
            }
        }
        return false;
    }

    /** The multicast group a meter produces to (239.192.0.0/16, as CIP allocates them, one per meter). */
    private static InetAddress group(SimulatedMeter meter) {
        try {
            return InetAddress.getByAddress(new byte[] { (byte) 239, (byte) 192, (byte) (1 + meter.index() / 250),
                    (byte) (1 + meter.index() % 250) });
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }

    /**
     * Ends a connection (its production with it, unless other connections share it); listen-only ones end with the
     * last connection producing their assembly.
     */
    private synchronized void end(Produced p) {
        if (byO2tId.remove(p.request.o2tId()) == null) {
            return;
        }
        p.stream.members.remove(p);
        if (p.stream.members.isEmpty()) {
            p.stream.task.cancel(false);
        }
        Set<Produced> meters = byMeter.get(p.meter);
        meters.remove(p);
        int instance = p.stream.block.instance();
        if (!p.listenOnly && meters.stream().noneMatch(o -> !o.listenOnly && o.stream.block.instance() == instance)) {
            for (Produced o : List.copyOf(meters)) {
                if (o.listenOnly && o.stream.block.instance() == instance) {
                    LOG.debug("meter {}: listen-only connection 0x{} closed with its owner", p.meter.index(),
                            Integer.toHexString(o.request.o2tId()));
                    end(o);
                }
            }
        }
    }

    /** Heartbeats: the sequenced address item names the connection; its data is not looked at. */
    private void receive() {
        ByteBuffer b = ByteBuffer.allocate(1500).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            b.clear();
            try {
                channel.receive(b);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                continue;
            }
            b.flip();
            if (b.remaining() >= 14 && b.getShort(0) == 2 && (b.getShort(2) & 0xffff) == ITEM_SEQUENCED_ADDRESS) {
                Produced p = byO2tId.get(b.getInt(6));
                if (p != null) {
                    p.lastHeartbeatNanos = System.nanoTime();
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        timer.shutdownNow();
        channel.close();
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
