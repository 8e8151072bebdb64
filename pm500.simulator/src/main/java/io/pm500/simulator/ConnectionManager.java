package io.pm500.simulator;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Connection Manager (class 6, instance 1) of the simulated meters: Forward_Open, Large_Forward_Open and
 * Forward_Close for Class 3 connections, which live on the TCP connection that opened them, and for Class 1
 * connections ({@link ClassOneProducer}); at most {@value #MAX_CONNECTIONS_PER_METER} per meter in all.
 */
final class ConnectionManager implements AutoCloseable {
    static final int MAX_CONNECTIONS_PER_METER = 18;
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionManager.class);

    /**
     * What one TCP connection holds: its Class 3 connections (O->T id we assigned → connection), and while a
     * request is answered its T->O Sockaddr Info item and the items the reply carries besides its data (type →
     * content: where the heartbeats go and, multicast, where the data comes from).
     */
    static final class Link {
        final Map<Integer, OpenConnection> open = new HashMap<>();
        final Map<Integer, ByteBuffer> replyItems = new LinkedHashMap<>();
        final InetAddress peer;
        ByteBuffer t2oSockaddr;

        Link(InetAddress peer) {
            this.peer = peer;
        }
    }

    /** Each meter's Class 3 connections, over all its TCP connections; read by other threads for diagnostics. */
    private final Map<SimulatedMeter, Set<OpenConnection>> cipConnections = new ConcurrentHashMap<>();
    private final AtomicInteger nextConnectionId = new AtomicInteger(0x10000);
    private final ClassOneProducer classOne;

    ConnectionManager(List<SimulatedMeter> meters, String host) throws IOException {
        meters.forEach(m -> cipConnections.put(m, ConcurrentHashMap.newKeySet()));
        classOne = new ClassOneProducer(host);
    }

    /** The TCP connection closed: its Class 3 connections end (Class 1 ones live on until their watchdog). */
    void closed(SimulatedMeter meter, Link link) {
        cipConnections.get(meter).removeAll(link.open.values());
        link.open.clear();
    }

    /** Whether a Class 3 connection of this TCP connection went without a request for RPI × multiplier. */
    boolean expired(SimulatedMeter meter, Link link, long nowNanos) {
        for (OpenConnection c : link.open.values()) {
            if (nowNanos - c.lastRequestNanos > c.watchdogNanos) {
                LOG.debug("meter {}: Class 3 connection 0x{} timed out after {} ms without a request; closing",
                        meter.index(), Integer.toHexString(c.otId), c.watchdogNanos / 1_000_000);
                return true;
            }
        }
        return false;
    }

    /** Forward_Open and Large_Forward_Open: Class 3 on this TCP connection, Class 1 by the producer. */
    ByteBuffer forwardOpen(SimulatedMeter meter, Link link, int service, ByteBuffer d) {
        d.get();
        d.get(); // priority/tick, timeout ticks
        d.getInt(); // O→T id proposed by the client: the target assigns its own
        int toId = d.getInt();
        int serial = d.getShort() & 0xffff;
        int vendor = d.getShort() & 0xffff;
        int originator = d.getInt();
        int multiplier = d.get() & 0x07;
        d.position(d.position() + 3); // reserved
        long otRpiMicros = d.getInt() & 0xffffffffL;
        int otParameters = parameters(service, d);
        long toRpiMicros = d.getInt() & 0xffffffffL;
        int toParameters = parameters(service, d);
        int transport = d.get() & 0xff;
        ByteBuffer refusal = Cip.le(10).putShort((short) serial).putShort((short) vendor).putInt(originator)
                .put((byte) 0).put((byte) 0).flip();
        Set<OpenConnection> table = cipConnections.get(meter);
        boolean room = table.size() + classOne.count(meter) < MAX_CONNECTIONS_PER_METER;
        if ((transport & 0x0F) == 1) {
            int[] path = ioPath(d);
            boolean multicast = (toParameters >>> (service == Cip.SVC_LARGE_FORWARD_OPEN ? 29 : 13) & 3) == 1;
            ClassOneProducer.Request r = new ClassOneProducer.Request(0, toId, serial, vendor, originator,
                    multiplier, otRpiMicros, size(service, otParameters), toRpiMicros, size(service, toParameters),
                    multicast, path[0], path[1], path[2]);
            return ioOpen(meter, link, service, r, room, refusal);
        }
        if ((transport & 0x0F) != 3) { // Class 0 and 2 are not served: refused, as a device refuses it
            return CipObjects.reply(service, Cip.STATUS_CONNECTION_FAILURE, Cip.EXT_TRANSPORT_NOT_SUPPORTED, refusal);
        }
        if (!room) {
            return CipObjects.reply(service, Cip.STATUS_CONNECTION_FAILURE, Cip.EXT_OUT_OF_CONNECTIONS, refusal);
        }
        int otId = nextConnectionId.getAndIncrement();
        OpenConnection c = new OpenConnection(otId, toId, serial, vendor, originator, otRpiMicros,
                otRpiMicros * 1000 * (4L << multiplier));
        link.open.put(otId, c);
        table.add(c);
        ByteBuffer b = Cip.le(26);
        b.putInt(otId).putInt(toId).putShort((short) serial).putShort((short) vendor).putInt(originator)
                .putInt((int) otRpiMicros).putInt((int) toRpiMicros).put((byte) 0).put((byte) 0);
        return CipObjects.success(service, b.flip());
    }

    /** Network connection parameters: a WORD in Forward_Open, a DWORD in Large_Forward_Open. */
    private int parameters(int service, ByteBuffer d) {
        return service == Cip.SVC_LARGE_FORWARD_OPEN ? d.getInt() : d.getShort() & 0xffff;
    }

    private static int size(int service, int parameters) {
        return service == Cip.SVC_LARGE_FORWARD_OPEN ? parameters & 0xffff : parameters & 0x1ff;
    }

    /** Configuration instance, then the O->T and T->O connection points, of a Class 1 connection path. */
    private static int[] ioPath(ByteBuffer d) {
        int end = d.position() + (d.get() & 0xff) * 2;
        int[] found = { -1, -1, -1 };
        int points = 0;
        while (d.position() < end) {
            int segment = d.get() & 0xff;
            int value = switch (segment) {
                case 0x20, 0x24, 0x2C -> d.get() & 0xff;
                case 0x21, 0x25, 0x2D -> {
                    d.get(); // pad
                    yield d.getShort() & 0xffff;
                }
                default -> throw new java.nio.BufferUnderflowException(); // not a path this device reads
            };
            if (segment == 0x24 || segment == 0x25) {
                found[0] = value;
            } else if ((segment == 0x2C || segment == 0x2D) && points < 2) {
                found[1 + points++] = value;
            }
        }
        return found;
    }

    private ByteBuffer ioOpen(SimulatedMeter meter, Link link, int service, ClassOneProducer.Request r, boolean room,
            ByteBuffer refusal) {
        int t2oPort = link.t2oSockaddr != null && link.t2oSockaddr.remaining() >= 4
                ? link.t2oSockaddr.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff : -1;
        ClassOneProducer.Outcome outcome = classOne.open(meter, r, link.peer, t2oPort, room);
        if (outcome.status() != 0) {
            return CipObjects.reply(service, Cip.STATUS_CONNECTION_FAILURE, outcome.status(), refusal);
        }
        ClassOneProducer.Request o = outcome.opened();
        try {
            link.replyItems.put(ClassOneProducer.ITEM_SOCKADDR_O2T, sockaddr(new byte[4], classOne.port()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (outcome.group() != null) {
            link.replyItems.put(ClassOneProducer.ITEM_SOCKADDR_T2O, sockaddr(outcome.group().getAddress()
                    .getAddress(), outcome.group().getPort()));
        }
        ByteBuffer b = Cip.le(26);
        b.putInt(o.o2tId()).putInt(o.t2oId()).putShort((short) o.serial()).putShort((short) o.vendor())
                .putInt(o.originator()).putInt((int) o.o2tRpiMicros()).putInt((int) o.t2oRpiMicros())
                .put((byte) 0).put((byte) 0);
        return CipObjects.success(service, b.flip());
    }

    /** A Sockaddr Info item's content: family, port and address in network order, eight zeros. */
    private static ByteBuffer sockaddr(byte[] address, int port) {
        return ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putShort((short) 2).putShort((short) port)
                .put(address).putLong(0).flip();
    }

    ByteBuffer forwardClose(SimulatedMeter meter, Link link, ByteBuffer d) {
        d.get();
        d.get();
        int serial = d.getShort() & 0xffff;
        int vendor = d.getShort() & 0xffff;
        int originator = d.getInt();
        OpenConnection found = link.open.values().stream()
                .filter(c -> c.serial == serial && c.vendor == vendor && c.originator == originator).findFirst()
                .orElse(null);
        ByteBuffer b = Cip.le(10).putShort((short) serial).putShort((short) vendor).putInt(originator)
                .put((byte) 0).put((byte) 0);
        if (found == null && classOne.close(meter, serial, vendor, originator)) {
            return CipObjects.success(Cip.SVC_FORWARD_CLOSE, b.flip());
        }
        if (found == null) {
            return CipObjects.reply(Cip.SVC_FORWARD_CLOSE, Cip.STATUS_CONNECTION_FAILURE, Cip.EXT_CONNECTION_NOT_FOUND,
                    b.flip());
        }
        link.open.remove(found.otId);
        cipConnections.get(meter).remove(found);
        return CipObjects.success(Cip.SVC_FORWARD_CLOSE, b.flip());
    }

    /** A meter's connection table, as its diagnostics would show it. */
    List<CipConnection> connections(SimulatedMeter meter) {
        return cipConnections.get(meter).stream().map(c -> new CipConnection(c.vendor, c.originator & 0xffffffffL,
                c.serial, c.rpiMicros, c.watchdogNanos / 1_000_000)).toList();
    }

    /** A Class 3 connection: its ids, the triple that names it, its RPI and inactivity watchdog. */
    static final class OpenConnection {
        final int otId;
        final int toId;
        final int serial;
        final int vendor;
        final int originator;
        final long rpiMicros;
        final long watchdogNanos;
        volatile long lastRequestNanos = System.nanoTime();

        OpenConnection(int otId, int toId, int serial, int vendor, int originator, long rpiMicros,
                long watchdogNanos) {
            this.otId = otId;
            this.toId = toId;
            this.serial = serial;
            this.vendor = vendor;
            this.originator = originator;
            this.rpiMicros = rpiMicros;
            this.watchdogNanos = watchdogNanos;
        }
    }

    int classOneConnections(SimulatedMeter meter) {
        return classOne.count(meter);
    }

    @Override
    public void close() throws IOException {
        classOne.close();
    }
}
