package io.pm500.simulator;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.Identity;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CIP objects a simulated PM500 serves as the manual describes them — Identity (class 1) and Assembly (class 4)
 * — and the message router's reply format; the encapsulation and the Connection Manager are {@link EnipServer}'s.
 */
final class CipObjects {
    private CipObjects() {
    }

    /** ListIdentity's reply body: one identity item naming the meter's socket address and its identity. */
    static ByteBuffer listIdentity(SimulatedMeter meter, int port, byte[] address) {
        ByteBuffer id = identityAttributes(meter);
        int nameLength = id.limit() - 15;
        ByteBuffer item = Cip.le(2 + 16 + 15 + nameLength + 1);
        item.putShort((short) 1);
        item.order(ByteOrder.BIG_ENDIAN).putShort((short) 2).putShort((short) port).put(address).putLong(0)
                .order(ByteOrder.LITTLE_ENDIAN);
        item.put(id).put((byte) 3); // state: operational
        item.flip();
        ByteBuffer body = Cip.le(6 + item.remaining());
        body.putShort((short) 1).putShort((short) Cip.ITEM_IDENTITY).putShort((short) item.remaining()).put(item);
        return body.flip();
    }

    /** Identity attributes 1–7: vendor, device type, product code, revision, status, serial, name. */
    static ByteBuffer identityAttributes(SimulatedMeter meter) {
        Identity id = meter.profile().identity();
        byte[] name = (id == null ? "" : id.productName()).getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = Cip.le(15 + name.length);
        b.putShort((short) (id == null ? 0 : id.vendorId())).putShort((short) (id == null ? 0 : id.deviceType()))
                .putShort((short) meter.productCode()).put((byte) 2).put((byte) 7).putShort((short) 0x0030)
                .putInt(940_000_000 + meter.index()).put((byte) name.length).put(name);
        return b.flip();
    }

    /** The Assembly object (class 4); null when the meter hangs up on this read instead of answering. */
    static ByteBuffer assembly(SimulatedMeter meter, Cip.Request r) {
        if (meter.faults().cipStatus() != 0) {
            return status(r.service(), meter.faults().cipStatus(), -1);
        }
        if (r.service() != Cip.SVC_GET_ATTRIBUTE_SINGLE) {
            return status(r.service(), Cip.STATUS_SERVICE_NOT_SUPPORTED, -1);
        }
        List<CipBlock> blocks = meter.profile().cip().blocks().stream()
                .filter(b -> b.classId() == Cip.CLASS_ASSEMBLY).toList();
        if (r.instance() == 0) { // class attributes
            int max = blocks.stream().mapToInt(CipBlock::instance).max().orElse(0);
            return switch (r.attribute()) {
                case 1 -> uint(r.service(), 2);
                case 2 -> uint(r.service(), max);
                case 3 -> uint(r.service(), blocks.size());
                default -> status(r.service(), Cip.STATUS_ATTRIBUTE_NOT_SUPPORTED, -1);
            };
        }
        CipBlock block = blocks.stream().filter(b -> b.instance() == r.instance()).findFirst().orElse(null);
        if (block == null) {
            return status(r.service(), Cip.STATUS_OBJECT_DOES_NOT_EXIST, -1);
        }
        if (r.attribute() == 4) {
            return uint(r.service(), block.size());
        }
        if (r.attribute() == block.attribute() && meter.faults().hangUpOnRead()) {
            return null;
        }
        byte[] data = r.attribute() == block.attribute()
                ? meter.cipData(block.classId(), block.instance(), block.attribute()) : null;
        return data == null ? status(r.service(), Cip.STATUS_ATTRIBUTE_NOT_SUPPORTED, -1)
                : success(r.service(), ByteBuffer.wrap(data));
    }

    /** The Identity object (class 1), instance 1. */
    static ByteBuffer identity(SimulatedMeter meter, Cip.Request r) {
        if (r.instance() != 1) {
            return status(r.service(), Cip.STATUS_OBJECT_DOES_NOT_EXIST, -1);
        }
        ByteBuffer all = identityAttributes(meter);
        if (r.service() == Cip.SVC_GET_ATTRIBUTES_ALL) {
            return success(r.service(), all);
        }
        if (r.service() != Cip.SVC_GET_ATTRIBUTE_SINGLE) {
            return status(r.service(), Cip.STATUS_SERVICE_NOT_SUPPORTED, -1);
        }
        int[] offsets = { 0, 0, 2, 4, 6, 8, 10, 14, all.limit() };
        if (r.attribute() < 1 || r.attribute() > 7) {
            return status(r.service(), Cip.STATUS_ATTRIBUTE_NOT_SUPPORTED, -1);
        }
        return success(r.service(), all.position(offsets[r.attribute()]).limit(offsets[r.attribute() + 1]));
    }

    static ByteBuffer uint(int service, int value) {
        return success(service, Cip.le(2).putShort((short) value).flip());
    }

    static ByteBuffer success(int service, ByteBuffer data) {
        return reply(service, Cip.STATUS_SUCCESS, -1, data);
    }

    static ByteBuffer status(int service, int status, int extended) {
        return reply(service, status, extended, Cip.le(0));
    }

    static ByteBuffer reply(int service, int status, int extended, ByteBuffer data) {
        ByteBuffer b = Cip.le(6 + data.remaining());
        b.put((byte) (service | 0x80)).put((byte) 0).put((byte) status);
        if (extended >= 0) {
            b.put((byte) 1).putShort((short) extended);
        } else {
            b.put((byte) 0);
        }
        return b.put(data).flip();
    }
}
