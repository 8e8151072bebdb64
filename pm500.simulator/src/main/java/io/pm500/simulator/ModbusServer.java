package io.pm500.simulator;

import com.ghgande.j2mod.modbus.msg.ModbusRequest;
import com.ghgande.j2mod.modbus.msg.ModbusResponse;
import com.ghgande.j2mod.modbus.net.AbstractModbusListener;
import com.ghgande.j2mod.modbus.procimg.ProcessImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * Every meter's Modbus TCP port, served from the one selector thread: j2mod's request and response classes parse
 * each request and answer it from the meter's {@link MeterProcessImage} (FC03/04 reads, FC06/16 writes, exceptions),
 * and the meter's faults apply to every reply: no reply, delay, garbage, truncated replies, any exception code,
 * dropped connections, and a reboot's refused connections. No thread per meter or connection: thousands of meters
 * cost what their traffic costs.
 */
final class ModbusServer extends NioServer {
    /** Connections a meter serves at once; a further one is closed as soon as it is accepted. */
    static final int MAX_CONNECTIONS = 2;
    private static final int MBAP = 7;
    private final ImageLookup lookup = new ImageLookup();
    private final ProcessImage[] images;

    ModbusServer(List<SimulatedMeter> meters, String host, int[] ports) throws IOException {
        super("pm500-sim-modbus");
        images = new ProcessImage[meters.size()];
        try {
            for (int i = 0; i < meters.size(); i++) {
                images[i] = new MeterProcessImage(meters.get(i));
                listen(host, ports[i], meters.get(i));
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    @Override
    Peer accepted(SimulatedMeter meter, SocketChannel channel) throws IOException {
        if (openConnections(meter) >= MAX_CONNECTIONS) {
            channel.close(); // a device out of connection slots resets the newcomer
            return null;
        }
        return new Client(meter, channel);
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

    /** j2mod's answer to one request frame, or null when it is not for this meter's unit (j2mod stays silent). */
    private ByteBuffer answer(SimulatedMeter meter, ByteBuffer frame) throws IOException {
        int unit = frame.get(6) & 0xff;
        if (unit != Simulator.UNIT_ID) {
            return null;
        }
        byte[] pdu = new byte[frame.remaining() - 6];
        frame.get(6, pdu);
        ModbusRequest request = ModbusRequest.createModbusRequest(pdu[1] & 0xff);
        request.setHeadless(true);
        request.readFrom(new DataInputStream(new ByteArrayInputStream(pdu)));
        ModbusResponse response;
        lookup.image = images[meter.index()];
        try {
            response = request.createResponse(lookup);
        } finally {
            lookup.image = null;
        }
        response.setHeadless(true);
        response.setUnitID(unit);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(260);
        response.writeTo(new DataOutputStream(bytes));
        byte[] body = bytes.toByteArray();
        return ByteBuffer.allocate(6 + body.length).putShort(frame.getShort(0)).putShort((short) 0)
                .putShort((short) body.length).put(body).flip();
    }

    /** One client connection: requests in, j2mod's replies out through the faults. */
    private final class Client extends Peer {
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
                    return;
                }
                ByteBuffer answer = answer(meter, request);
                if (answer != null) {
                    reply(answer);
                }
            });
        }
    }

    /**
     * What j2mod's requests ask for a unit's process image. Each request is answered on the selector thread, which
     * sets the meter's image first; nothing listens here (j2mod's slave would add a listener and workers per meter).
     */
    private static final class ImageLookup extends AbstractModbusListener {
        ProcessImage image;

        @Override
        public ProcessImage getProcessImage(int unitId) {
            return image;
        }

        @Override
        public void run() {
            throw new UnsupportedOperationException("a process image lookup, never started");
        }

        @Override
        public void stop() {
            // never started
        }
    }
}
