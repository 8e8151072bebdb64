package io.pm500.driver.cip.internal;

import com.digitalpetri.enip.cip.CipResponseException;
import com.digitalpetri.enip.cip.epath.EPath.PaddedEPath;
import com.digitalpetri.enip.cip.epath.LogicalSegment.AttributeId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.ClassId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.InstanceId;
import com.digitalpetri.enip.cip.services.GetAttributeSingleService;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.Sample;
import io.pm500.driver.cip.internal.CipSettings.BlockPlan;
import io.pm500.driver.kit.PollFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A meter's Class 1 connections ({@link ClassOne}), one per produced assembly, on the meter's session; used on the
 * meter's queue only. A block's poll opens its connection when there is none and otherwise checks the connection's
 * watchdog: the data itself arrives on the driver's Class 1 port and reaches the pipeline without a poll.
 *
 * <p>The session itself carries no request once its once-per-session reads are done, and a meter closes a session
 * that is idle for its encapsulation inactivity timeout (TCP/IP object attribute 13; 120 s by default) — which would
 * drop and reopen every Class 1 connection each time. So the polls send a ListIdentity on the session at a third of
 * that timeout, as the meter reports it when the session opens.
 */
final class IoConnections {
    /** Waits for a request as the meter's other requests are waited for. */
    interface Wait {
        <T> T await(CompletableFuture<T> request) throws Exception;
    }

    /** When the meter does not say its inactivity timeout: CIP's default. */
    static final long DEFAULT_INACTIVITY_SECONDS = 120;

    private static final Logger LOG = LoggerFactory.getLogger(IoConnections.class);

    private final CipSettings settings;
    private final CipThreads threads;
    private final Originator originator;
    private final IoPort port;
    private final Clock clock;
    private final BiFunction<String, Supplier<Sample>, Runnable> arrivals;
    private final Map<String, ClassOne> open = new HashMap<>();
    private final Map<String, ScheduledFuture<?>> heartbeats = new HashMap<>();
    private SessionClient session;
    private long keepAliveNanos;
    private long lastRequestNanos;

    /** @param arrivals the poller's {@code arrivals}: how data that came by itself reaches the meter's queue */
    IoConnections(CipSettings settings, CipThreads threads, Originator originator, IoPort port, Clock clock,
            BiFunction<String, Supplier<Sample>, Runnable> arrivals) {
        this.settings = settings;
        this.threads = threads;
        this.originator = originator;
        this.port = port;
        this.clock = clock;
        this.arrivals = arrivals;
    }

    /** Opens the block's connection, or checks its watchdog; nothing to hand on either way (null). */
    Sample poll(BlockPlan block, SessionClient client, Wait wait) throws Exception {
        keepAlive(client, wait);
        ClassOne c = open.get(block.blockId());
        if (c != null) {
            String why = c.expired(settings.messaging());
            if (why != null) {
                throw new PollFailure(AcquisitionStatus.TIMEOUT, why);
            }
            return null;
        }
        ClassOne opening = new ClassOne(settings.profile().cip().io(), settings.messaging(), block.block(),
                Duration.ofMillis(block.rpiMillis()), settings.ioMultiplierCode(), settings.ioMulticast(), port);
        Runnable arrived = arrivals.apply(block.blockId(), () -> {
            ByteBuffer data = opening.takeNew();
            return data == null ? null : block.decoder().decode(settings.meterId(), clock.instant(), data);
        });
        try {
            wait.await(opening.open(client, originator, settings.ioMultiplierCode(),
                    Duration.ofMillis(settings.timeoutMillis()), settings.host(), arrived));
        } catch (Exception e) {
            var cip = CipResponseException.extract(e);
            if (cip.isEmpty()) {
                throw e;
            }
            // refused: the session goes too, so the next try waits the backoff instead of coming every RPI
            throw new PollFailure(AcquisitionStatus.CONNECTION_LOST, refused(block, cip.get()));
        }
        open.put(block.blockId(), opening);
        heartbeats.put(block.blockId(), threads.poll().atFixedRate(() -> {
            try {
                opening.heartbeat();
            } catch (IOException e) {
                LOG.debug("EtherNet/IP meter {}: heartbeat of {} not sent: {}", settings.meterId(), block.blockId(),
                        e.toString()); // the meter's watchdog, and then ours, tell
            }
        }, 0, opening.heartbeatRpi().toMillis()));
        LOG.debug("EtherNet/IP meter {}: Class 1 {} connection to {} open, RPI {} ms", settings.meterId(),
                settings.messaging().label(), block.blockId(), block.rpiMillis());
        return null;
    }

    private void keepAlive(SessionClient client, Wait wait) throws Exception {
        long now = System.nanoTime();
        if (client != session) {
            session = client;
            lastRequestNanos = now;
            keepAliveNanos = inactivitySeconds(client, wait) * 1_000_000_000L / 3;
            return;
        }
        if (keepAliveNanos > 0 && now - lastRequestNanos >= keepAliveNanos) {
            wait.await(client.listIdentity());
            lastRequestNanos = now;
        }
    }

    /** The meter's encapsulation inactivity timeout (0: none), read once a session. */
    private long inactivitySeconds(SessionClient client, Wait wait) throws Exception {
        ByteBuf reply;
        try {
            reply = wait.await(client.invoke(new GetAttributeSingleService(new PaddedEPath(new ClassId(0xF5),
                    new InstanceId(1), new AttributeId(13)))));
        } catch (Exception e) {
            if (CipResponseException.extract(e).isEmpty()) {
                throw e; // the session failed
            }
            return DEFAULT_INACTIVITY_SECONDS; // the meter does not say
        }
        try {
            return reply.readableBytes() < 2 ? DEFAULT_INACTIVITY_SECONDS
                    : reply.order(java.nio.ByteOrder.LITTLE_ENDIAN).getUnsignedShort(reply.readerIndex());
        } finally {
            ReferenceCountUtil.release(reply);
        }
    }

    private String refused(BlockPlan block, CipResponseException e) {
        int extended = e.getAdditionalStatus().length > 0 ? e.getAdditionalStatus()[0] : -1;
        String what = settings.messaging().label() + " Forward_Open for " + block.blockId() + " refused (CIP "
                + e.getMessage() + ")";
        return switch (extended) {
            case 0x0119 -> what + ": no connection owns the assembly; a listen-only connection needs the PLC's (or"
                    + " another input-only) connection open; retrying";
            case 0x0113 -> what + ": the meter has no connection left; close another originator's or use"
                    + " unconnected messaging";
            case 0x0111 -> what + ": the meter does not accept an RPI of " + block.intervalMillis()
                    + " ms; fix blockIntervals or the profile's cip.io RPI limits";
            case 0x0127, 0x0128 -> what + ": the connection size does not match the assembly; fix the profile's"
                    + " block size or cip.io.runIdleHeader";
            default -> what + ": check the profile's cip.io connection points against the meter's EDS file";
        };
    }

    /**
     * Stops every connection: heartbeats end, data is no longer taken, and each is Forward_Closed on the session
     * when it is given (intact).
     */
    List<CompletableFuture<?>> closeAll(SessionClient session, Duration timeout) {
        heartbeats.values().forEach(f -> f.cancel(false));
        heartbeats.clear();
        List<CompletableFuture<?>> closes = new ArrayList<>();
        open.forEach((block, c) -> {
            long[] n = c.counts();
            LOG.debug("EtherNet/IP meter {}: Class 1 connection to {} closed: {} datagrams, {} dropped, {} missed",
                    settings.meterId(), block, n[0], n[1], n[2]);
            closes.add(c.close(session, timeout));
        });
        open.clear();
        return closes;
    }

    /** Datagrams received, dropped (repeated or older) and missed (sequence gaps) on the open connections. */
    long[] counts() {
        long[] sum = new long[3];
        for (ClassOne c : open.values()) {
            long[] n = c.counts();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += n[i];
            }
        }
        return sum;
    }
}
