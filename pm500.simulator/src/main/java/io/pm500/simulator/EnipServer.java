package io.pm500.simulator;

import io.pm500.api.profile.Identity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EtherNet/IP side of the simulated meters: one selector thread serves every meter's TCP port and answers
 * ListIdentity on the UDP port of the same number (discovery). It speaks the encapsulation protocol (ListIdentity,
 * ListServices, RegisterSession, UnRegisterSession, SendRRData, SendUnitData) and the CIP a PM500 answers:
 * Get_Attribute_Single on Assembly (class 4) and Identity (class 1), Get_Attributes_All on Identity,
 * Unconnected_Send, Forward_Open/Large_Forward_Open/Forward_Close for Class 3 connected messaging and for Class 1
 * input-only and listen-only I/O ({@link ClassOneProducer}; at most 18 connections per meter in all), with the CIP
 * general status a device gives for an unknown class, instance, attribute or service. Like a real adapter it closes
 * a Class 3 connection, and its TCP connection, that sees no request for RPI × timeout multiplier, and refuses the
 * transport classes it does not serve (0x01/0x0103). Malformed frames close that connection only.
 */
final class EnipServer extends NioServer {
    private static final Logger LOG = LoggerFactory.getLogger(EnipServer.class);

    private final AtomicInteger nextSession = new AtomicInteger(0x1000);
    private final ConnectionManager connectionManager;

    /** Binds one port per meter on the given address (0: a free one, see {@link #port}); serves after {@link #start}. */
    EnipServer(List<SimulatedMeter> meters, String host, int[] ports) throws IOException {
        super("pm500-sim-enip");
        connectionManager = new ConnectionManager(meters, host);
        try {
            for (int i = 0; i < meters.size(); i++) {
                listen(host, ports[i], meters.get(i));
                listenUdp(host, port(i), meters.get(i));
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        super.close();
        try {
            connectionManager.close();
        } catch (IOException e) {
            LOG.debug("Class 1 socket: {}", e.toString());
        }
    }

    @Override
    Peer accepted(SimulatedMeter meter, SocketChannel channel) throws IOException {
        return new Connection(meter, channel);
    }

    /**
     * A garbled EtherNet/IP reply as a device with a firmware fault sends it: the frame keeps its length (a client
     * reads it whole rather than waiting for more), its command code is one no device sends (0x8E), the rest is
     * noise.
     */
    @Override
    ByteBuffer garbled(ByteBuffer frame) {
        ByteBuffer noise = super.garbled(frame).order(ByteOrder.LITTLE_ENDIAN);
        noise.putShort(0, (short) 0x8E).putShort(2, frame.getShort(frame.position() + 2));
        return noise;
    }

    /** UDP: ListIdentity, as a scanner's discovery sends it; anything else is not answered. */
    @Override
    ByteBuffer datagram(SimulatedMeter meter, ByteBuffer request, DatagramChannel channel) {
        if (request.remaining() < Cip.HEADER || (request.getShort(0) & 0xffff) != Cip.CMD_LIST_IDENTITY) {
            return null;
        }
        byte[] context = new byte[8];
        request.get(12, context);
        InetSocketAddress local = (InetSocketAddress) channel.socket().getLocalSocketAddress();
        ByteBuffer body = CipObjects.listIdentity(meter, local.getPort(), local.getAddress().getAddress());
        ByteBuffer frame = Cip.le(Cip.HEADER + body.remaining());
        frame.putShort((short) Cip.CMD_LIST_IDENTITY).putShort((short) body.remaining()).putInt(0).putInt(0)
                .put(context).putInt(0).put(body);
        return frame.flip();
    }

    /** One TCP connection of one meter. */
    private final class Connection extends Peer {
        long session;
        final ConnectionManager.Link link;
        /** Set by a data read while the meter hangs up on reads: the connection closes instead of answering. */
        boolean hangUp;

        Connection(SimulatedMeter meter, SocketChannel channel) throws IOException {
            super(meter, channel);
            link = new ConnectionManager.Link(((InetSocketAddress) channel.getRemoteAddress()).getAddress());
        }

        @Override
        void received(ByteBuffer in) throws IOException {
            while (in.remaining() >= Cip.HEADER) {
                int length = in.getShort(in.position() + 2) & 0xffff;
                if (length > MAX_FRAME) {
                    throw new IOException("frame of " + length + " bytes");
                }
                if (in.remaining() < Cip.HEADER + length) {
                    break;
                }
                ByteBuffer frame = in.slice().order(ByteOrder.LITTLE_ENDIAN).limit(Cip.HEADER + length);
                in.position(in.position() + Cip.HEADER + length);
                handle(frame);
                if (!channel.isOpen()) {
                    return;
                }
            }
        }

        @Override
        void closed() {
            connectionManager.closed(meter, link);
        }

        /** A Class 3 connection without a request for RPI × multiplier ends, and a real adapter closes the socket. */
        @Override
        boolean expired(long nowNanos) {
            return connectionManager.expired(meter, link, nowNanos);
        }

        private void handle(ByteBuffer frame) throws IOException {
            int command = frame.getShort() & 0xffff;
            frame.getShort(); // length
            long sessionHandle = frame.getInt() & 0xffffffffL;
            frame.getInt(); // status
            byte[] context = new byte[8];
            frame.get(context);
            frame.getInt(); // options
            ByteBuffer data = frame.slice().order(ByteOrder.LITTLE_ENDIAN);
            switch (command) {
                case Cip.CMD_NOP -> {
                    // no reply, by definition
                }
                case Cip.CMD_LIST_IDENTITY -> reply(command, 0, 0, context, CipObjects.listIdentity(meter,
                        channel.socket().getLocalPort(), channel.socket().getLocalAddress().getAddress()));
                case Cip.CMD_LIST_SERVICES -> reply(command, 0, 0, context, listServices());
                case Cip.CMD_LIST_INTERFACES -> reply(command, 0, 0, context, Cip.le(2).putShort((short) 0).flip());
                case Cip.CMD_REGISTER_SESSION -> {
                    int version = data.remaining() >= 2 ? data.getShort(0) & 0xffff : 0;
                    if (version != 1) {
                        reply(command, 0, Cip.ENCAP_UNSUPPORTED_PROTOCOL, context, Cip.le(4).putShort((short) 1)
                                .putShort((short) 0).flip());
                    } else {
                        session = nextSession.getAndIncrement();
                        reply(command, session, 0, context, Cip.le(4).putShort((short) 1).putShort((short) 0).flip());
                    }
                }
                case Cip.CMD_UNREGISTER_SESSION -> close(); // no reply, by definition
                case Cip.CMD_SEND_RR_DATA, Cip.CMD_SEND_UNIT_DATA -> {
                    if (session == 0 || sessionHandle != session) {
                        reply(command, sessionHandle, Cip.ENCAP_INVALID_SESSION, context, Cip.le(0));
                    } else if (command == Cip.CMD_SEND_RR_DATA) {
                        sendRRData(context, data);
                    } else {
                        sendUnitData(context, data);
                    }
                }
                default -> reply(command, sessionHandle, Cip.ENCAP_INVALID_COMMAND, context, Cip.le(0));
            }
        }

        private void sendRRData(byte[] context, ByteBuffer data) throws IOException {
            Map<Integer, ByteBuffer> items = items(data);
            ByteBuffer request = items.get(Cip.ITEM_UNCONNECTED_DATA);
            if (request == null) {
                reply(Cip.CMD_SEND_RR_DATA, session, Cip.ENCAP_INVALID_LENGTH, context, Cip.le(0));
                return;
            }
            link.t2oSockaddr = items.get(ClassOneProducer.ITEM_SOCKADDR_T2O);
            link.replyItems.clear();
            ByteBuffer response = messageRouter(request);
            if (hangUp) {
                close();
                return;
            }
            int extra = link.replyItems.values().stream().mapToInt(b -> 4 + b.remaining()).sum();
            ByteBuffer body = Cip.le(16 + response.remaining() + extra);
            body.putInt(0).putShort((short) 0).putShort((short) (2 + link.replyItems.size()));
            body.putShort((short) Cip.ITEM_NULL_ADDRESS).putShort((short) 0);
            body.putShort((short) Cip.ITEM_UNCONNECTED_DATA).putShort((short) response.remaining()).put(response);
            link.replyItems.forEach((type, item) -> body.putShort((short) (int) type).putShort((short) item.remaining())
                    .put(item));
            reply(Cip.CMD_SEND_RR_DATA, session, 0, context, body.flip());
        }

        private void sendUnitData(byte[] context, ByteBuffer data) throws IOException {
            Map<Integer, ByteBuffer> items = items(data);
            ByteBuffer address = items.get(Cip.ITEM_CONNECTED_ADDRESS);
            ByteBuffer payload = items.get(Cip.ITEM_CONNECTED_DATA);
            ConnectionManager.OpenConnection connection = address != null && address.remaining() == 4
                    ? link.open.get(address.getInt(0)) : null;
            if (connection == null || payload == null || payload.remaining() < 2) {
                return; // a device drops connected data it cannot place
            }
            connection.lastRequestNanos = System.nanoTime();
            int sequence = payload.getShort() & 0xffff;
            ByteBuffer response = messageRouter(payload.slice().order(ByteOrder.LITTLE_ENDIAN));
            if (hangUp) {
                close();
                return;
            }
            ByteBuffer body = Cip.le(22 + response.remaining());
            body.putInt(0).putShort((short) 0).putShort((short) 2);
            body.putShort((short) Cip.ITEM_CONNECTED_ADDRESS).putShort((short) 4).putInt(connection.toId);
            body.putShort((short) Cip.ITEM_CONNECTED_DATA).putShort((short) (2 + response.remaining()))
                    .putShort((short) sequence).put(response);
            reply(Cip.CMD_SEND_UNIT_DATA, session, 0, context, body.flip());
        }

        /**
         * The common packet format items after SendRRData's/SendUnitData's interface handle and timeout, by type.
         */
        private Map<Integer, ByteBuffer> items(ByteBuffer data) throws IOException {
            if (data.remaining() < 8) {
                throw new IOException("no common packet format items");
            }
            data.getInt(); // interface handle
            data.getShort(); // timeout
            int count = data.getShort() & 0xffff;
            Map<Integer, ByteBuffer> items = new HashMap<>();
            for (int i = 0; i < count && data.remaining() >= 4; i++) {
                int type = data.getShort() & 0xffff;
                int length = data.getShort() & 0xffff;
                if (length > data.remaining()) {
                    throw new IOException("CPF item longer than the frame");
                }
                items.put(type, data.slice().order(ByteOrder.LITTLE_ENDIAN).limit(length));
                data.position(data.position() + length);
            }
            return items;
        }

        /** Answers one message-router request. */
        private ByteBuffer messageRouter(ByteBuffer raw) {
            Cip.Request r = Cip.Request.parse(raw);
            if (r == null) {
                return CipObjects.status(raw.capacity() > 0 ? raw.get(0) & 0xff : 0, Cip.STATUS_PATH_SEGMENT_ERROR,
                        -1);
            }
            return switch (r.classId()) {
                case Cip.CLASS_ASSEMBLY -> {
                    ByteBuffer reply = CipObjects.assembly(meter, r);
                    hangUp |= reply == null;
                    yield reply == null ? Cip.le(0) : reply;
                }
                case Cip.CLASS_IDENTITY -> CipObjects.identity(meter, r);
                case Cip.CLASS_CONNECTION_MANAGER -> connectionManager(r);
                default -> CipObjects.status(r.service(), Cip.STATUS_PATH_UNKNOWN, -1);
            };
        }

        private ByteBuffer connectionManager(Cip.Request r) {
            if (r.instance() != 1) {
                return CipObjects.status(r.service(), Cip.STATUS_OBJECT_DOES_NOT_EXIST, -1);
            }
            ByteBuffer d = r.data();
            try {
                return switch (r.service()) {
                    case Cip.SVC_FORWARD_OPEN, Cip.SVC_LARGE_FORWARD_OPEN -> connectionManager.forwardOpen(meter, link,
                            r.service(), d);
                    case Cip.SVC_FORWARD_CLOSE -> connectionManager.forwardClose(meter, link, d);
                    case Cip.SVC_UNCONNECTED_SEND -> unconnectedSend(d);
                    default -> CipObjects.status(r.service(), Cip.STATUS_SERVICE_NOT_SUPPORTED, -1);
                };
            } catch (java.nio.BufferUnderflowException e) {
                return CipObjects.status(r.service(), Cip.STATUS_NOT_ENOUGH_DATA, -1);
            }
        }

        /** The embedded request is answered as if sent directly (the PM500 is the end of the route). */
        private ByteBuffer unconnectedSend(ByteBuffer d) {
            d.get();
            d.get();
            int size = d.getShort() & 0xffff;
            if (size > d.remaining()) {
                return CipObjects.status(Cip.SVC_UNCONNECTED_SEND, Cip.STATUS_NOT_ENOUGH_DATA, -1);
            }
            ByteBuffer embedded = d.slice().order(ByteOrder.LITTLE_ENDIAN).limit(size);
            return messageRouter(embedded);
        }

        private ByteBuffer listServices() {
            byte[] name = "Communications\0\0".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer body = Cip.le(6 + 4 + name.length);
            body.putShort((short) 1).putShort((short) Cip.ITEM_SERVICES).putShort((short) (4 + name.length))
                    .putShort((short) 1).putShort((short) 0x0120).put(name);
            return body.flip();
        }

        private void reply(int command, long sessionHandle, int status, byte[] context, ByteBuffer data) {
            ByteBuffer frame = Cip.le(Cip.HEADER + data.remaining());
            frame.putShort((short) command).putShort((short) data.remaining()).putInt((int) sessionHandle)
                    .putInt(status).put(context).putInt(0).put(data);
            reply(frame.flip());
        }
    }

    /** A meter's connection table, as its diagnostics would show it. */
    List<CipConnection> connections(SimulatedMeter meter) {
        return connectionManager.connections(meter);
    }

    int classOneConnections(SimulatedMeter meter) {
        return connectionManager.classOneConnections(meter);
    }
}
