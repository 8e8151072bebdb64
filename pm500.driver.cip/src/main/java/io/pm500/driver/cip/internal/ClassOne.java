package io.pm500.driver.cip.internal;

import com.digitalpetri.enip.cip.epath.EPath.PaddedEPath;
import com.digitalpetri.enip.cip.epath.LogicalSegment.ClassId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.ConnectionPoint;
import com.digitalpetri.enip.cip.epath.LogicalSegment.InstanceId;
import com.digitalpetri.enip.cip.services.ForwardCloseService;
import com.digitalpetri.enip.cip.services.ForwardOpenService;
import com.digitalpetri.enip.cip.services.LargeForwardOpenService;
import com.digitalpetri.enip.cip.structs.ForwardCloseRequest;
import com.digitalpetri.enip.cip.structs.ForwardOpenRequest;
import com.digitalpetri.enip.cip.structs.ForwardOpenResponse;
import com.digitalpetri.enip.cip.structs.LargeForwardOpenRequest;
import com.digitalpetri.enip.cip.structs.LargeForwardOpenResponse;
import com.digitalpetri.enip.cip.structs.NetworkConnectionParameters;
import com.digitalpetri.enip.commands.SendRRData;
import com.digitalpetri.enip.cpf.CpfItem;
import com.digitalpetri.enip.cpf.CpfPacket;
import com.digitalpetri.enip.cpf.NullAddressItem;
import com.digitalpetri.enip.cpf.SockAddr;
import com.digitalpetri.enip.cpf.SockAddrItemO2t;
import com.digitalpetri.enip.cpf.SockAddrItemT2o;
import com.digitalpetri.enip.cpf.UnconnectedDataItemRequest;
import com.digitalpetri.enip.cpf.UnconnectedDataItemResponse;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipIo;
import io.pm500.driver.cip.internal.CipSettings.Messaging;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Class 1 connection consuming an assembly the meter produces, input-only or listen-only. The Forward_Open
 * (transport class 1, cyclic) names the configuration assembly, the heartbeat connection point (O->T) and the
 * assembly (T->O) in its path. Point-to-point, it carries a T->O Sockaddr Info item with the gateway's Class 1
 * port, so the meter sends there whatever port that is; multicast, the meter's reply names the group and port its
 * production goes to (shared with every other connection to the assembly), and the port joins it. The meter then
 * produces the assembly every RPI; the gateway sends a heartbeat every RPI (at most every
 * {@value #MIN_HEARTBEAT_MILLIS} ms), without which the meter would close the connection after RPI × multiplier.
 *
 * <p>Datagrams are checked by their 32-bit sequence number: a repeat or an older one is dropped, a jump counts the
 * datagrams missed. What is new goes to the meter's queue ({@link #takeNew}) — data that differs from the last handed
 * on, or the same data once a {@link #REPORT_NANOS report interval} has passed, so that a 100 ms RPI does not
 * multiply the readings of a meter whose values stand still; the rest only feeds the watchdog, on the receiving
 * thread, without a copy or a thread hand-off. Heartbeats go at the RPI, but not more often than every
 * {@value #MIN_HEARTBEAT_MILLIS} ms (the profile's limits permitting): they only keep the connection open.
 */
final class ClassOne implements IoPort.Receiver {
    /** How often unchanged data is still handed on, so the pipeline knows the values are current. */
    static final long REPORT_NANOS = 1_000_000_000L;
    private static final int TRANSPORT_CLASS_1_CYCLIC = 0x01;
    private static final int EIP_IO_PORT = 2222;
    private static final int AF_INET = 2;
    /** O->T: the heartbeat carries the class 1 sequence count only. */
    private static final int HEARTBEAT_SIZE = 2;
    /** The largest connection size a Forward_Open can ask for (9 bits); beyond it, Large_Forward_Open (16 bits). */
    static final int MAX_FORWARD_OPEN_SIZE = 511;
    static final long MIN_HEARTBEAT_MILLIS = 500;
    private static final AtomicInteger T2O_IDS = new AtomicInteger(ThreadLocalRandom.current().nextInt());

    private final CipBlock block;
    private final PaddedEPath path;
    private final Duration rpi;
    private final Duration heartbeatRpi;
    private final long watchdogNanos;
    private final int dataOffset;
    private final IoPort port;
    private final boolean multicast;
    private InetSocketAddress group;
    private Runnable arrived = () -> { };
    private final AtomicReference<byte[]> latest = new AtomicReference<>();
    private final ByteBuffer heartbeat = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    private int t2oId;
    private int o2tId;
    private int serial;
    private int vendorId;
    private long originatorSerial;
    private InetSocketAddress heartbeatTo;
    private int heartbeatSequence;
    // written by the port's receiving thread only
    private boolean first = true;
    private int lastSequence;
    private byte[] lastOffered;
    private long lastOfferedNanos;
    private volatile long lastNanos;
    private volatile long received;
    private volatile long dropped;
    private volatile long missed;
    private volatile long wrongSize;

    ClassOne(CipIo io, Messaging mode, CipBlock block, Duration rpi, int multiplierCode, boolean multicast,
            IoPort port) {
        this.block = block;
        this.rpi = rpi;
        this.heartbeatRpi = Duration.ofMillis(Math.min(io.maxRpiMillis(),
                Math.max(rpi.toMillis(), MIN_HEARTBEAT_MILLIS)));
        this.watchdogNanos = rpi.toNanos() * (4L << multiplierCode);
        this.dataOffset = 2 + (io.runIdleHeader() ? 4 : 0);
        this.port = port;
        this.multicast = multicast;
        this.lastNanos = System.nanoTime();
        int heartbeatPoint = mode == Messaging.IO_LISTEN_ONLY ? io.listenOnlyPoint() : io.inputOnlyPoint();
        this.path = new PaddedEPath(new ClassId(4), new InstanceId(io.configurationInstance()),
                new ConnectionPoint(heartbeatPoint), new ConnectionPoint(block.instance()));
    }

    /**
     * Forward_Open on the meter's session; on success the connection receives, and its heartbeats are due every
     * {@link #heartbeatRpi()} ({@link #heartbeat}).
     *
     * @param arrived run on the receiving thread when new data waits; it must hand {@link #takeNew} to the meter's
     *                queue, not call it
     */
    CompletableFuture<ClassOne> open(SessionClient client, Originator originator, int multiplierCode,
            Duration requestTimeout, String host, Runnable arrived) throws IOException {
        this.arrived = arrived;
        int requested = T2O_IDS.incrementAndGet();
        int udpPort = port.port();
        t2oId = requested;
        port.register(requested, this); // the meter may send its first datagram before its reply
        NetworkConnectionParameters o2t = new NetworkConnectionParameters(HEARTBEAT_SIZE,
                NetworkConnectionParameters.SizeType.Fixed, NetworkConnectionParameters.Priority.Scheduled,
                NetworkConnectionParameters.ConnectionType.PointToPoint, false);
        NetworkConnectionParameters t2o = new NetworkConnectionParameters(dataOffset + block.size(),
                NetworkConnectionParameters.SizeType.Fixed, NetworkConnectionParameters.Priority.Scheduled,
                multicast ? NetworkConnectionParameters.ConnectionType.Multicast
                        : NetworkConnectionParameters.ConnectionType.PointToPoint, false);
        int connectionSerial = ThreadLocalRandom.current().nextInt(1, 0x10000);
        Opening service = Opening.of(dataOffset + block.size() > MAX_FORWARD_OPEN_SIZE, requestTimeout, requested,
                connectionSerial, originator, multiplierCode, path, heartbeatRpi, o2t, rpi, t2o);
        UnconnectedDataItemRequest request = new UnconnectedDataItemRequest(service::encodeRequest);
        lastNanos = System.nanoTime(); // the first datagram has a whole watchdog to come
        // multicast: the meter chooses where it produces and says so in its reply
        CpfPacket packet = multicast ? new CpfPacket(new NullAddressItem(), request)
                : new CpfPacket(new NullAddressItem(), request,
                        new SockAddrItemT2o(new SockAddr(AF_INET, udpPort, new byte[4], 0)));
        CompletableFuture<SendRRData> reply = client.inFlight(client.sendRRData(new SendRRData(packet)));
        return reply.handle((r, e) -> {
            if (e != null) {
                port.unregister(requested, this);
                throw e instanceof CompletionException ce ? ce : new CompletionException(e);
            }
            try {
                opened(r, service, host);
                return this;
            } catch (Exception ex) {
                port.unregister(t2oId, this); // the id the meter chose, if it chose one
                throw new CompletionException(ex);
            }
        });
    }

    /** A Forward_Open or, for a connection over 511 bytes, a Large_Forward_Open: encoded, and its reply read. */
    private record Opening(ForwardOpenService small, LargeForwardOpenService large) {
        static Opening of(boolean large, Duration timeout, int t2oId, int serial, Originator originator,
                int multiplierCode, PaddedEPath path, Duration o2tRpi, NetworkConnectionParameters o2t, Duration t2oRpi,
                NetworkConnectionParameters t2o) {
            return large
                    ? new Opening(null, new LargeForwardOpenService(new LargeForwardOpenRequest(timeout, 0, t2oId,
                            serial, originator.vendorId(), originator.serialNumber(), multiplierCode, path, o2tRpi,
                            o2t, t2oRpi, t2o, TRANSPORT_CLASS_1_CYCLIC)))
                    : new Opening(new ForwardOpenService(new ForwardOpenRequest(timeout, 0, t2oId, serial,
                            originator.vendorId(), originator.serialNumber(), multiplierCode, path, o2tRpi, o2t,
                            t2oRpi, t2o, TRANSPORT_CLASS_1_CYCLIC)), null);
        }

        void encodeRequest(ByteBuf buffer) {
            if (large != null) {
                large.encodeRequest(buffer);
            } else {
                small.encodeRequest(buffer);
            }
        }

        Ids decodeResponse(ByteBuf data) throws Exception {
            if (large != null) {
                LargeForwardOpenResponse r = large.decodeResponse(data);
                ReferenceCountUtil.release(r.getApplicationReply());
                return new Ids(r.getO2tConnectionId(), r.getT2oConnectionId(), r.getConnectionSerialNumber(),
                        r.getOriginatorVendorId(), r.getOriginatorSerialNumber());
            }
            ForwardOpenResponse r = small.decodeResponse(data);
            ReferenceCountUtil.release(r.getApplicationReply());
            return new Ids(r.getO2tConnectionId(), r.getT2oConnectionId(), r.getConnectionSerialNumber(),
                    r.getOriginatorVendorId(), r.getOriginatorSerialNumber());
        }
    }

    /** What an accepted (Large_)Forward_Open says: the ids and the triple that names the connection. */
    private record Ids(int o2t, int t2o, int serial, int vendorId, long originatorSerial) {
    }

    private void opened(SendRRData reply, Opening service, String host) throws Exception {
        ByteBuf data = null;
        int heartbeatPort = EIP_IO_PORT;
        SockAddr produced = null;
        for (CpfItem item : reply.getPacket().getItems()) {
            if (item instanceof UnconnectedDataItemResponse u) {
                data = u.getData();
            } else if (item instanceof SockAddrItemO2t o) {
                heartbeatPort = o.getSockAddr().getSinPort();
            } else if (item instanceof SockAddrItemT2o t) {
                produced = t.getSockAddr();
            }
        }
        if (data == null) {
            throw new IOException("the Forward_Open reply has no data item");
        }
        try {
            Ids ids = service.decodeResponse(data);
            o2tId = ids.o2t();
            serial = ids.serial();
            vendorId = ids.vendorId();
            originatorSerial = ids.originatorSerial();
            if (ids.t2o() != t2oId) { // the meter chose the id it produces with
                port.unregister(t2oId, this);
                t2oId = ids.t2o();
                port.register(t2oId, this);
            }
        } finally {
            ReferenceCountUtil.release(data);
        }
        heartbeatTo = new InetSocketAddress(host, heartbeatPort);
        if (multicast) {
            if (produced == null) {
                throw new IOException("the meter accepted a multicast connection without naming its group (no T->O"
                        + " Sockaddr Info item)");
            }
            group = new InetSocketAddress(InetAddress.getByAddress(produced.getSinAddr()), produced.getSinPort());
            port.join(group, InetAddress.getByName(host));
        }
    }

    Duration heartbeatRpi() {
        return heartbeatRpi;
    }

    /** The O->T heartbeat, on a timer: sequenced address item, then the class 1 sequence count. */
    void heartbeat() throws IOException {
        heartbeat.clear();
        heartbeat.putShort((short) 2).putShort((short) IoPort.SEQUENCED_ADDRESS).putShort((short) 8).putInt(o2tId)
                .putInt(++heartbeatSequence).putShort((short) IoPort.CONNECTED_DATA)
                .putShort((short) HEARTBEAT_SIZE).putShort((short) 0);
        heartbeat.flip();
        port.send(heartbeat, heartbeatTo);
    }

    @Override
    public void received(int sequence, ByteBuffer data) {
        if (!first && sequence - lastSequence <= 0) {
            dropped++; // a duplicate or an older datagram, overtaken by a newer one
            return;
        }
        if (!first && sequence - lastSequence > 1) {
            missed += sequence - lastSequence - 1;
        }
        first = false;
        lastSequence = sequence;
        if (data.remaining() != dataOffset + block.size()) {
            wrongSize++;
            return;
        }
        long now = System.nanoTime();
        received++;
        lastNanos = now;
        int from = data.position() + dataOffset;
        if (same(data, from) && now - lastOfferedNanos < REPORT_NANOS) {
            return;
        }
        byte[] copy = new byte[block.size()];
        data.get(from, copy);
        lastOffered = copy;
        lastOfferedNanos = now;
        latest.set(copy);
        arrived.run();
    }

    private boolean same(ByteBuffer data, int from) {
        byte[] last = lastOffered;
        if (last == null) {
            return false;
        }
        for (int i = 0; i < last.length; i++) {
            if (data.get(from + i) != last[i]) {
                return false;
            }
        }
        return true;
    }

    /** On the meter's queue: the newest data handed on, once; null when there is none since the last call. */
    ByteBuffer takeNew() {
        byte[] data = latest.getAndSet(null);
        return data == null ? null : ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Null while data comes within RPI × multiplier; else why not, naming the cause and the fix. */
    String expired(Messaging mode) {
        long silent = System.nanoTime() - lastNanos;
        if (silent <= watchdogNanos) {
            return null;
        }
        String why = "no Class 1 data of " + block.id() + " for " + silent / 1_000_000 + " ms (RPI "
                + rpi.toMillis() + " ms × " + watchdogNanos / rpi.toNanos() + ")";
        if (wrongSize > 0) {
            return why + "; " + wrongSize + " datagrams of another size than the profile's " + block.size()
                    + " bytes" + (dataOffset > 2 ? " after the run/idle header" : "") + ": fix cip.io.runIdleHeader or"
                    + " the block's size in the profile";
        }
        return why + (mode == Messaging.IO_LISTEN_ONLY
                ? ": the connection that owns the assembly has gone (a listen-only connection ends with it) or the"
                        + " meter stopped"
                : ": the meter stopped producing, or a firewall drops UDP to the gateway's Class 1 port");
    }

    /** Datagrams taken, dropped as repeats or older, and missed (gaps in the sequence). */
    long[] counts() {
        return new long[] { received, dropped, missed };
    }

    /** Stops receiving; Forward_Close while the session stands (the reply changes nothing). */
    CompletableFuture<?> close(SessionClient client, Duration requestTimeout) {
        port.unregister(t2oId, this);
        if (group != null) {
            port.leave(group);
        }
        if (client == null || !client.intact() || heartbeatTo == null) {
            return CompletableFuture.completedFuture(null);
        }
        ForwardCloseService service = new ForwardCloseService(new ForwardCloseRequest(requestTimeout, serial,
                vendorId, originatorSerial, path));
        CompletableFuture<ByteBuf> reply = client.sendUnconnectedData(service::encodeRequest);
        reply.thenAccept(ReferenceCountUtil::release);
        return reply;
    }
}
