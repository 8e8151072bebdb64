package io.pm500.driver.cip.internal;

import com.digitalpetri.enip.cip.CipResponseException;
import com.digitalpetri.enip.cip.epath.EPath.PaddedEPath;
import com.digitalpetri.enip.cip.epath.LogicalSegment.ClassId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.InstanceId;
import com.digitalpetri.enip.cip.services.ForwardCloseService;
import com.digitalpetri.enip.cip.services.ForwardOpenService;
import com.digitalpetri.enip.cip.structs.ForwardCloseRequest;
import com.digitalpetri.enip.cip.structs.ForwardOpenRequest;
import com.digitalpetri.enip.cip.structs.ForwardOpenResponse;
import com.digitalpetri.enip.cip.structs.NetworkConnectionParameters;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one Class 3 connection (Forward_Open, transport class 3, application trigger) a meter is read over in
 * connected mode. Its RPI and timeout multiplier follow the meter's polling: a target closes a connection that
 * sees no request for RPI × multiplier, so that product is made at least twice the longest gap between requests
 * plus two reply timeouts, and never below {@value #MIN_WATCHDOG_SECONDS} s. The originator's vendor id and serial
 * number are the gateway's ({@link Originator}); the connection serial number is new for each Forward_Open.
 */
final class ClassThree {
    /** Connection size in bytes: the largest PM500 assembly is 72; the reply header and a margin fit. */
    static final int CONNECTION_SIZE = 500;
    static final int MIN_WATCHDOG_SECONDS = 10;
    private static final long MAX_RPI_MICROS = 0xFFFF_FFFFL;
    private static final int TRANSPORT_CLASS_3_APPLICATION = 0xA3;
    private static final PaddedEPath MESSAGE_ROUTER = new PaddedEPath(new ClassId(0x02), new InstanceId(0x01));
    private static final AtomicInteger T2O_IDS = new AtomicInteger(ThreadLocalRandom.current().nextInt());

    /** What a Forward_Open asks for: RPI and the multiplier's code (0 = ×4 … 7 = ×512). */
    record Timing(Duration rpi, int multiplierCode) {
        /** RPI × multiplier: how long the target waits for a request before it closes the connection. */
        Duration watchdog() {
            return rpi.multipliedBy(4L << multiplierCode);
        }

        /**
         * @param requestGap    the longest time between two requests when all is well (the shortest periodic
         *                      block interval)
         * @param timeoutMillis the meter's reply timeout
         */
        static Timing forGap(Duration requestGap, long timeoutMillis) {
            long needed = Math.max(MIN_WATCHDOG_SECONDS * 1000L, 2 * (requestGap.toMillis() + timeoutMillis));
            long rpiMillis = Math.min(requestGap.toMillis(), MAX_RPI_MICROS / 1000);
            int code = 0;
            while (code < 7 && rpiMillis * (4L << code) < needed) {
                code++;
            }
            return new Timing(Duration.ofMillis(rpiMillis), code);
        }
    }

    /** An open connection: the ids to address it and the triple that identifies it for Forward_Close. */
    record Connection(int o2tId, int t2oId, int serial, int vendorId, long originatorSerial, Timing timing) {
    }

    private ClassThree() {
    }

    static CompletableFuture<Connection> open(SessionClient client, Originator originator, Timing timing,
            Duration requestTimeout) {
        NetworkConnectionParameters parameters = new NetworkConnectionParameters(CONNECTION_SIZE,
                NetworkConnectionParameters.SizeType.Variable, NetworkConnectionParameters.Priority.Low,
                NetworkConnectionParameters.ConnectionType.PointToPoint, false);
        int serial = ThreadLocalRandom.current().nextInt(1, 0x10000);
        ForwardOpenService service = new ForwardOpenService(new ForwardOpenRequest(requestTimeout, 0,
                T2O_IDS.incrementAndGet(), serial, originator.vendorId(), originator.serialNumber(),
                timing.multiplierCode(), MESSAGE_ROUTER, timing.rpi(), parameters, timing.rpi(), parameters,
                TRANSPORT_CLASS_3_APPLICATION));
        return client.sendUnconnectedData(service::encodeRequest).thenApply(reply -> {
            try {
                ForwardOpenResponse response = service.decodeResponse(reply);
                ReferenceCountUtil.release(response.getApplicationReply());
                return new Connection(response.getO2tConnectionId(), response.getT2oConnectionId(),
                        response.getConnectionSerialNumber(), response.getOriginatorVendorId(),
                        response.getOriginatorSerialNumber(), timing);
            } catch (CipResponseException e) {
                throw new java.util.concurrent.CompletionException(e);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(new IllegalArgumentException(
                        "malformed Forward_Open reply: " + e, e));
            } finally {
                ReferenceCountUtil.release(reply);
            }
        });
    }

    /** Forward_Close; the reply (or its absence) changes nothing for the caller. */
    static CompletableFuture<ByteBuf> close(SessionClient client, Connection c, Duration requestTimeout) {
        ForwardCloseService service = new ForwardCloseService(new ForwardCloseRequest(requestTimeout, c.serial(),
                c.vendorId(), c.originatorSerial(), MESSAGE_ROUTER));
        CompletableFuture<ByteBuf> reply = client.sendUnconnectedData(service::encodeRequest);
        reply.thenAccept(ReferenceCountUtil::release);
        return reply;
    }
}
