package io.pm500.simulator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** CIP and EtherNet/IP encapsulation constants and the one request parser the server needs. */
final class Cip {
    static final int HEADER = 24;
    static final int CMD_NOP = 0x0000;
    static final int CMD_LIST_SERVICES = 0x0004;
    static final int CMD_LIST_IDENTITY = 0x0063;
    static final int CMD_LIST_INTERFACES = 0x0064;
    static final int CMD_REGISTER_SESSION = 0x0065;
    static final int CMD_UNREGISTER_SESSION = 0x0066;
    static final int CMD_SEND_RR_DATA = 0x006F;
    static final int CMD_SEND_UNIT_DATA = 0x0070;

    static final int ENCAP_INVALID_COMMAND = 0x0001;
    static final int ENCAP_INVALID_LENGTH = 0x0065;
    static final int ENCAP_INVALID_SESSION = 0x0064;
    static final int ENCAP_UNSUPPORTED_PROTOCOL = 0x0069;

    static final int ITEM_NULL_ADDRESS = 0x0000;
    static final int ITEM_CONNECTED_ADDRESS = 0x00A1;
    static final int ITEM_CONNECTED_DATA = 0x00B1;
    static final int ITEM_UNCONNECTED_DATA = 0x00B2;
    static final int ITEM_IDENTITY = 0x000C;
    static final int ITEM_SERVICES = 0x0100;

    static final int SVC_GET_ATTRIBUTES_ALL = 0x01;
    static final int SVC_GET_ATTRIBUTE_SINGLE = 0x0E;
    static final int SVC_FORWARD_CLOSE = 0x4E;
    static final int SVC_UNCONNECTED_SEND = 0x52;
    static final int SVC_FORWARD_OPEN = 0x54;
    static final int SVC_LARGE_FORWARD_OPEN = 0x5B;

    static final int STATUS_SUCCESS = 0x00;
    static final int STATUS_CONNECTION_FAILURE = 0x01;
    static final int STATUS_PATH_SEGMENT_ERROR = 0x04;
    static final int STATUS_PATH_UNKNOWN = 0x05;
    static final int STATUS_SERVICE_NOT_SUPPORTED = 0x08;
    static final int STATUS_NOT_ENOUGH_DATA = 0x13;
    static final int STATUS_ATTRIBUTE_NOT_SUPPORTED = 0x14;
    static final int STATUS_OBJECT_DOES_NOT_EXIST = 0x16;
    /** Extended status of a connection failure: no more connections. */
    static final int EXT_OUT_OF_CONNECTIONS = 0x0113;
    static final int EXT_CONNECTION_NOT_FOUND = 0x0107;
    /** Transport class and trigger combination not supported (the simulator serves Class 3 only). */
    static final int EXT_TRANSPORT_NOT_SUPPORTED = 0x0103;

    static final int CLASS_IDENTITY = 0x01;
    static final int CLASS_ASSEMBLY = 0x04;
    static final int CLASS_CONNECTION_MANAGER = 0x06;

    private Cip() {
    }

    static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A message-router request: service, logical path (class, instance, attribute; -1 where absent) and data. */
    record Request(int service, int classId, int instance, int attribute, ByteBuffer data) {

        /** Parses from the buffer's position; {@code null} when the path is malformed. */
        static Request parse(ByteBuffer in) {
            if (in.remaining() < 2) {
                return null;
            }
            int service = in.get() & 0xff;
            int pathWords = in.get() & 0xff;
            if (in.remaining() < pathWords * 2) {
                return null;
            }
            ByteBuffer path = in.slice().order(ByteOrder.LITTLE_ENDIAN).limit(pathWords * 2);
            in.position(in.position() + pathWords * 2);
            int classId = -1;
            int instance = -1;
            int attribute = -1;
            while (path.hasRemaining()) {
                int segment = path.get() & 0xff;
                int value;
                switch (segment & 0x03) {
                    case 0 -> value = path.hasRemaining() ? path.get() & 0xff : -2;
                    case 1 -> {
                        if (path.remaining() < 3) {
                            return null;
                        }
                        path.get(); // pad
                        value = path.getShort() & 0xffff;
                    }
                    default -> {
                        return null;
                    }
                }
                if (value == -2) {
                    return null;
                }
                switch (segment & 0xfc) {
                    case 0x20 -> classId = value;
                    case 0x24 -> instance = value;
                    case 0x30 -> attribute = value;
                    default -> {
                        return null;
                    }
                }
            }
            return new Request(service, classId, instance, attribute, in.slice().order(ByteOrder.LITTLE_ENDIAN));
        }
    }
}
