package io.pm500.simulator;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * The Modbus TCP ports clients see. j2mod's slave answers the requests behind it; this front end forwards whole
 * MBAP frames both ways and applies the meter's faults, which j2mod cannot: no reply, delay, garbage, truncated
 * replies, any exception code, dropped connections, and a reboot's refused connections.
 */
final class ModbusProxy extends NioServer {
    private static final int MBAP = 7;
    private final String host;
    private final int[] upstreamPorts;

    /**
     * @param upstreamPorts j2mod's port of each meter, in meter order; filled in by the caller once j2mod runs
     *                      (shared, not copied: the public ports are bound first)
     */
    ModbusProxy(List<SimulatedMeter> meters, String host, int[] ports, int[] upstreamPorts) throws IOException {
        super("pm500-sim-modbus");
        this.host = host;
        this.upstreamPorts = upstreamPorts;
        try {
            for (int i = 0; i < meters.size(); i++) {
                listen(host, ports[i], meters.get(i));
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    @Override
    Peer accepted(SimulatedMeter meter, SocketChannel channel) throws IOException {
        SocketChannel upstream = SocketChannel.open(new InetSocketAddress(host, upstreamPorts[meter.index()]));
        upstream.configureBlocking(false);
        Client client = new Client(meter, channel);
        client.upstream = new Upstream(meter, upstream, client);
        return client;
    }

    /** Calls {@code frame} for each complete MBAP frame; throws on a length no Modbus frame has. */
    private static void frames(ByteBuffer in, FrameHandler frame) throws IOException {
        while (in.remaining() >= MBAP) {
            // MBAP is big-endian; the read buffer is not
            int length = (in.get(in.position() + 4) & 0xff) << 8 | (in.get(in.position() + 5) & 0xff);
            if (length < 2 || length > 254) {
                throw new IOException("MBAP length " + length);
            }
            if (in.remaining() < 6 + length) {
                return;
            }
            ByteBuffer f = in.slice().order(ByteOrder.BIG_ENDIAN).limit(6 + length);
            in.position(in.position() + 6 + length);
            frame.handle(f);
        }
    }

    private interface FrameHandler {
        void handle(ByteBuffer frame) throws IOException;
    }

    /** The client's side: requests in, replies out through the faults. */
    private final class Client extends Peer {
        Upstream upstream;

        Client(SimulatedMeter meter, SocketChannel channel) throws IOException {
            super(meter, channel);
        }

        @Override
        void received(ByteBuffer in) throws IOException {
            frames(in, request -> {
                int function = request.get(7) & 0xff;
                if (!channel.isOpen() || meter.faults().hangUpOnRead() && (function == 3 || function == 4)) {
                    close();
                    return;
                }
                int code = meter.faults().modbusException();
                if (code != 0) {
                    ByteBuffer exception = ByteBuffer.allocate(9);
                    exception.putShort(request.getShort(0)).putShort(request.getShort(2)).putShort((short) 3)
                            .put(request.get(6)).put((byte) (request.get(7) | 0x80)).put((byte) code);
                    reply(exception.flip());
                } else {
                    upstream.write(copy(request));
                }
            });
        }

        @Override
        void closed() {
            upstream.close();
        }
    }

    /** j2mod's side: replies in, handed to the client. */
    private final class Upstream extends Peer {
        final Client client;

        Upstream(SimulatedMeter meter, SocketChannel channel, Client client) throws IOException {
            super(meter, channel);
            this.client = client;
        }

        @Override
        void received(ByteBuffer in) throws IOException {
            frames(in, response -> client.reply(copy(response)));
        }

        @Override
        void closed() {
            client.close();
        }
    }

    private static ByteBuffer copy(ByteBuffer frame) {
        ByteBuffer copy = ByteBuffer.allocate(frame.remaining());
        return copy.put(frame.duplicate()).flip();
    }
}
