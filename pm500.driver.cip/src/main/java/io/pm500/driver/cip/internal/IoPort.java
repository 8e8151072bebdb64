package io.pm500.driver.cip.internal;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one UDP socket of every Class 1 connection the driver opens: the meters' produced data (T->O) arrives on it and
 * is handed to its connections by the connection id (one id may have several: connections sharing a multicast
 * production); the gateway's heartbeats (O->T) leave from it. Bound when the first Class 1 connection opens, so a
 * port another program holds stops only the Class 1 meters, each saying why. A multicast production arrives on a
 * socket of its own, bound to the group's address and port (2222 as a rule, shared with any other program on the
 * host) and joined on the interface that leads to the meter, while a connection uses it. A change of its
 * configuration restarts every EtherNet/IP meter.
 */
@Component(service = IoPort.class, configurationPid = IoPort.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = IoPort.Config.class)
public final class IoPort {
    static final String PID = "pm500.driver.cip.io";
    /** Common packet format item types of an I/O datagram. */
    static final int SEQUENCED_ADDRESS = 0x8002;
    static final int CONNECTED_DATA = 0x00B1;
    private static final int MAX_DATAGRAM = 1500;
    private static final Logger LOG = LoggerFactory.getLogger(IoPort.class);

    @ObjectClassDefinition(name = "PM500 EtherNet/IP Class 1 port",
            description = "The UDP port the meters' Class 1 data arrives on (io-input-only, io-listen-only meters).")
    public @interface Config {
        @AttributeDefinition(name = "UDP port", description = "2222 is EtherNet/IP's I/O port; on a host where"
                + " another EtherNet/IP stack holds it, choose another (the Forward_Open tells the meter) or 0 for any"
                + " free port. Open it in the firewall for the meters' addresses.")
        int port() default 2222;

        @AttributeDefinition(name = "Bind address", description = "The local address to receive on; 0.0.0.0 = all.")
        String bindAddress() default "0.0.0.0";
    }

    /** Where a connection's data goes: called on the port's receiving thread, so it must not block. */
    interface Receiver {
        /**
         * @param sequence the datagram's 32-bit sequence number (the sequenced address item's)
         * @param data     the connected data item's content (class 1 sequence count first), valid during the call
         */
        void received(int sequence, ByteBuffer data);
    }

    private final String bindAddress;
    private final int configuredPort;
    private final Map<Integer, List<Receiver>> receivers = new ConcurrentHashMap<>();
    private volatile DatagramChannel channel;
    private Thread thread;
    /** Multicast: a joined socket and its thread per group, and how many connections use each. */
    private record Group(DatagramChannel channel, Thread thread) {
    }

    private final Map<InetSocketAddress, Group> groups = new HashMap<>();
    private final Map<InetSocketAddress, Integer> members = new HashMap<>();
    // counted by the receiving threads (unicast and each multicast group's), to pace their log lines
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unknown = new AtomicLong();

    @Activate
    public IoPort(Config config) {
        this(config.bindAddress(), config.port());
    }

    IoPort(String bindAddress, int port) {
        this.bindAddress = bindAddress;
        this.configuredPort = port;
    }

    /** Binds the socket unless bound; the error names the setting and the fix. */
    synchronized DatagramChannel open() throws IOException {
        if (channel != null) {
            return channel;
        }
        DatagramChannel c = DatagramChannel.open();
        try {
            c.bind(new InetSocketAddress(bindAddress, configuredPort));
        } catch (IOException e) {
            c.close();
            throw new IOException("cannot receive Class 1 data on UDP " + bindAddress + ":" + configuredPort
                    + " (" + e.getMessage() + "): another program holds it; set another port in " + PID, e);
        }
        channel = c;
        thread = receiving(c, "pm500-cip-io");
        LOG.info("EtherNet/IP driver: receiving Class 1 data on UDP {}", c.getLocalAddress());
        return c;
    }

    /** The port the meters send to (the bound one when the configuration says 0). */
    synchronized int port() throws IOException {
        return ((InetSocketAddress) open().getLocalAddress()).getPort();
    }

    void register(int t2oConnectionId, Receiver receiver) {
        receivers.computeIfAbsent(t2oConnectionId, id -> new CopyOnWriteArrayList<>()).add(receiver);
    }

    void unregister(int t2oConnectionId, Receiver receiver) {
        receivers.computeIfPresent(t2oConnectionId, (id, list) -> {
            list.remove(receiver);
            return list.isEmpty() ? null : list;
        });
    }

    /**
     * Receives a multicast production: a socket bound to the group (so it takes that group's datagrams only),
     * joined on the interface that leads to the meter; opened for the first connection that uses the group.
     */
    synchronized void join(InetSocketAddress group, InetAddress meter) throws IOException {
        if (members.merge(group, 1, Integer::sum) > 1) {
            return;
        }
        DatagramChannel c = null;
        try {
            c = DatagramChannel.open(StandardProtocolFamily.INET).setOption(StandardSocketOptions.SO_REUSEADDR, true)
                    .bind(group);
            c.join(group.getAddress(), towards(meter));
            groups.put(group, new Group(c, receiving(c, "pm500-cip-io-multicast")));
            LOG.debug("EtherNet/IP driver: receiving Class 1 multicast {}", group);
        } catch (IOException e) {
            members.remove(group);
            if (c != null) {
                c.close();
            }
            throw new IOException("cannot join the meter's multicast group " + group + " (" + e.getMessage() + ")",
                    e);
        }
    }

    /** A connection no longer uses the group; the last one closes its socket. */
    synchronized void leave(InetSocketAddress group) {
        if (members.merge(group, -1, Integer::sum) > 0) {
            return;
        }
        members.remove(group);
        Group g = groups.remove(group);
        if (g != null) {
            try {
                g.channel().close(); // its thread ends with it
            } catch (IOException e) {
                LOG.debug("EtherNet/IP driver: closing the socket of {}: {}", group, e.toString());
            }
        }
    }

    /** The interface this host reaches the meter through (a connected datagram socket asks the routing table). */
    private static NetworkInterface towards(InetAddress meter) throws IOException {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(meter, 9);
            NetworkInterface nic = NetworkInterface.getByInetAddress(probe.getLocalAddress());
            if (nic == null) {
                throw new IOException("no network interface has the address " + probe.getLocalAddress());
            }
            return nic;
        }
    }

    /** Sends one datagram (a heartbeat); a failure is the caller's to report. */
    void send(ByteBuffer datagram, SocketAddress to) throws IOException {
        DatagramChannel c = channel;
        (c != null ? c : open()).send(datagram, to);
    }

    private Thread receiving(DatagramChannel c, String name) {
        Thread t = new Thread(() -> receive(c), name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void receive(DatagramChannel c) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            buffer.clear();
            try {
                c.receive(buffer);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("EtherNet/IP driver: receiving Class 1 data failed: {}", e.toString());
                continue;
            }
            buffer.flip();
            dispatch(buffer);
        }
    }

    /** Item count, the sequenced address item (connection id, sequence number), the connected data item. */
    private void dispatch(ByteBuffer b) {
        if (b.remaining() < 2 + 4 + 8 + 4 || b.getShort() != 2 || (b.getShort() & 0xFFFF) != SEQUENCED_ADDRESS
                || b.getShort() != 8) {
            malformed("not a Class 1 datagram");
            return;
        }
        int connectionId = b.getInt();
        int sequence = b.getInt();
        if ((b.getShort() & 0xFFFF) != CONNECTED_DATA) {
            malformed("no connected data item");
            return;
        }
        int length = b.getShort() & 0xFFFF;
        if (length != b.remaining()) {
            malformed("data item of " + length + " bytes in " + b.remaining());
            return;
        }
        List<Receiver> r = receivers.get(connectionId);
        if (r == null) {
            long n = unknown.incrementAndGet();
            if (n % 1000 == 1) { // a connection just closed, or a producer that is not ours: seldom news
                LOG.debug("EtherNet/IP driver: Class 1 data for no open connection (id {}); {} such so far",
                        Integer.toHexString(connectionId), n);
            }
            return;
        }
        for (Receiver each : r) {
            each.received(sequence, b); // a receiver reads by absolute index: the buffer's position stays
        }
    }

    private void malformed(String why) {
        long n = malformed.incrementAndGet();
        if (n % 1000 == 1) {
            LOG.warn("EtherNet/IP driver: a datagram on the Class 1 port was dropped ({}); {} so far", why, n);
        }
    }

    @Deactivate
    synchronized void close() throws IOException, InterruptedException {
        for (Group g : groups.values()) {
            g.channel().close();
            g.thread().join(5000);
        }
        groups.clear();
        members.clear();
        if (channel != null) {
            channel.close();
            thread.join(5000);
            channel = null;
        }
    }
}
