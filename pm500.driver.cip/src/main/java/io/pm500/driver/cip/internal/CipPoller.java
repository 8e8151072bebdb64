package io.pm500.driver.cip.internal;

import com.digitalpetri.enip.EtherNetIpClientConfig;
import com.digitalpetri.enip.cip.CipResponseException;
import com.digitalpetri.enip.cip.epath.EPath.PaddedEPath;
import com.digitalpetri.enip.cip.epath.LogicalSegment.AttributeId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.ClassId;
import com.digitalpetri.enip.cip.epath.LogicalSegment.InstanceId;
import com.digitalpetri.enip.cip.services.GetAttributeSingleService;
import com.digitalpetri.enip.cpf.CipIdentityItem;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.Identity;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.sample.PointValue;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.sample.Value;
import io.pm500.driver.cip.internal.CipSettings.BlockPlan;
import io.pm500.driver.cip.internal.CipSettings.Messaging;
import io.pm500.driver.kit.BlockPoller;
import io.pm500.driver.kit.PollFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One meter's EtherNet/IP session and polls. Runs on the meter's queue only (one poll at a time); its status is
 * published as an immutable snapshot any thread may read. Every failure becomes a sample with its acquisition
 * status; nothing escapes to the scheduler.
 *
 * <p>A session is one TCP connection with an EtherNet/IP session and, in connected mode, one CIP connection
 * (Forward_Open, {@link ClassThree}). On opening it the poller reads the Identity (ListIdentity) and checks it
 * against the profile, and publishes it as a sample of block {@value #IDENTITY_BLOCK}; each assembly's size
 * (attribute 4) is checked against the profile before its first read. After a timeout or a broken connection the
 * whole session is dropped — every TCP connection the library made for it closed — and a new one opened after the
 * backoff; a session the device closed while idle is replaced at once. Never more than one TCP connection and one
 * CIP connection per meter.
 */
final class CipPoller extends BlockPoller<BlockPlan> {
    static final String DRIVER = "pm500.driver.cip";
    static final String IDENTITY_BLOCK = "identity";
    private static final int CLASS_ASSEMBLY = 4;
    private static final int ATTRIBUTE_DATA = 3;
    private static final int ATTRIBUTE_SIZE = 4;
    private static final Logger LOG = LoggerFactory.getLogger(CipPoller.class);

    private final CipSettings settings;
    private final CipThreads threads;
    private final Originator originator;
    private final ClassThree.Timing timing;
    private SessionClient client;
    private ClassThree.Connection connection;
    private final IoConnections io;
    private final Map<String, String> sizeMismatch = new HashMap<>(); // block → why, checked once a session
    private String identityMismatch;

    CipPoller(CipSettings settings, SampleConsumer consumer, CipThreads threads, Originator originator, IoPort ioPort,
            Clock clock) {
        super(settings.meterId(), "EtherNet/IP", DRIVER, settings.endpoint(), settings.intervals(),
                settings.lostAfterFailures(), settings.enabled(), settings.profile(), consumer, clock);
        this.settings = settings;
        this.threads = threads;
        this.originator = originator;
        this.io = new IoConnections(settings, threads, originator, ioPort, clock, this::arrivals);
        this.timing = ClassThree.Timing.forGap(settings.requestGap(), settings.timeoutMillis());
    }

    @Override
    protected boolean isOpen() {
        return client != null;
    }

    /**
     * The device closed the session while idle (its connection timeout, a restart), or the library opened another
     * behind it: a request never reached the meter, so a new session is opened now, not after a backoff.
     */
    @Override
    protected boolean droppedEnded() {
        if (client == null || client.intact()) {
            return false;
        }
        LOG.debug("EtherNet/IP meter {}: session ended ({}); opening a new one", settings.meterId(),
                Optional.ofNullable(client.ended()).map(Throwable::getMessage).orElse("reopened by the library"));
        disconnect();
        return true;
    }

    /** Opens a session when there is none, checks the assembly's size once a session, reads and decodes. */
    @Override
    protected Sample read(BlockPlan block) throws Exception {
        if (client == null) {
            open();
        }
        if (settings.messaging().io() && block.rpiMillis() > 0) {
            return io.poll(block, client, this::await);
        }
        String mismatch = hasSize(block.block()) ? checkSize(block.block()) : null;
        if (mismatch != null) {
            throw new PollFailure(AcquisitionStatus.PROTOCOL_ERROR, mismatch);
        }
        CipBlock b = block.block();
        ByteBuf reply = await(invoke(path(b.classId(), b.instance(), b.attribute())));
        try {
            ByteBuffer data = reply.nioBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return block.decoder().decode(settings.meterId(), now(), data);
        } finally {
            ReferenceCountUtil.release(reply);
        }
    }

    /** Opens the session (and the CIP connection in connected mode), then reads and checks the identity. */
    private void open() throws Exception {
        CipThreads.Library library = threads.library();
        EtherNetIpClientConfig config = EtherNetIpClientConfig.builder(settings.host()).setPort(settings.port())
                .setTimeout(Duration.ofMillis(settings.timeoutMillis())).setEventLoop(library.eventLoop())
                .setWheelTimer(library.wheelTimer()).setExecutor(library.callbacks()).build();
        client = new SessionClient(config);
        sizeMismatch.clear();
        await(client.connect());
        opened();
        CipIdentityItem id = await(client.listIdentity()).getIdentity()
                .orElseThrow(() -> new IOException("the device answered ListIdentity without an identity"));
        try {
            checkIdentity(id);
        } catch (PollFailure e) {
            disconnect(); // not this device: every later poll opens a new session and checks again
            throw e;
        }
        if (settings.messaging() == Messaging.CONNECTED) {
            connection = await(ClassThree.open(client, originator, timing,
                    Duration.ofMillis(settings.timeoutMillis())));
        }
        LOG.debug("EtherNet/IP meter {}: session open at {} ({} '{}', serial {}, revision {}.{}){}",
                settings.meterId(), settings.endpoint(), id.getProductCode(), id.getProductName(),
                id.getSerialNumber(), id.getRevisionMajor(), id.getRevisionMinor(), connection == null ? ""
                        : ", connection RPI " + timing.rpi().toMillis() + " ms, times out after "
                                + timing.watchdog().toMillis() + " ms");
        deliver(Sample.ok(settings.meterId(), IDENTITY_BLOCK, now(), List.of(
                new PointValue("identity.vendor", Value.of((long) id.getVendorId())),
                new PointValue("identity.device.type", Value.of((long) id.getDeviceType())),
                new PointValue("identity.product.code", Value.of((long) id.getProductCode())),
                new PointValue("identity.revision", Value.of(id.getRevisionMajor() + "." + id.getRevisionMinor())),
                new PointValue("identity.serial", Value.of(id.getSerialNumber())),
                new PointValue("identity.product.name", Value.of(id.getProductName())))));
    }

    /** A device of another vendor or type is refused (identityCheck=error) or polled with a warning. */
    private void checkIdentity(CipIdentityItem id) throws PollFailure {
        Identity expected = settings.profile().identity();
        if (expected == null) {
            return;
        }
        if (id.getVendorId() == expected.vendorId() && id.getDeviceType() == expected.deviceType()) {
            identityMismatch = null;
            return;
        }
        String why = "the device at " + settings.endpoint() + " is vendor " + id.getVendorId() + ", device type 0x"
                + Integer.toHexString(id.getDeviceType()) + " ('" + id.getProductName() + "'), the profile '"
                + settings.profile().model() + "' expects vendor " + expected.vendorId() + ", device type 0x"
                + Integer.toHexString(expected.deviceType())
                + ": check the meter's address, or the profile of this meter";
        if (!why.equals(identityMismatch)) {
            identityMismatch = why;
            if (settings.identityMustMatch()) {
                LOG.error("EtherNet/IP meter {}: not polled: {} (identityCheck=warn polls it anyway)",
                        settings.meterId(), why);
            } else {
                LOG.warn("EtherNet/IP meter {}: {}; polled anyway (identityCheck=warn)", settings.meterId(), why);
            }
        }
        if (settings.identityMustMatch()) {
            throw new PollFailure(AcquisitionStatus.DEVICE_ERROR, why);
        }
    }

    /** An assembly's data attribute has its size in attribute 4; other objects' attributes have no such check. */
    private static boolean hasSize(CipBlock block) {
        return block.classId() == CLASS_ASSEMBLY && block.attribute() == ATTRIBUTE_DATA;
    }

    /** Null when the assembly's size on the meter (attribute 4) is the profile's, else why not; once a session. */
    private String checkSize(CipBlock block) throws Exception {
        if (sizeMismatch.containsKey(block.id())) {
            return sizeMismatch.get(block.id());
        }
        ByteBuf reply;
        try {
            reply = await(invoke(path(CLASS_ASSEMBLY, block.instance(), ATTRIBUTE_SIZE)));
        } catch (Exception e) {
            if (CipResponseException.extract(e).isEmpty()) {
                throw e; // the session failed: the caller's failure handling applies
            }
            // the meter does not give the size: the decoder still refuses a reply of the wrong length
            LOG.warn("EtherNet/IP meter {}: cannot read the size of {} (attribute 4): {}; each reply's length is"
                    + " checked against the profile instead", settings.meterId(), block.id(), describe(e));
            sizeMismatch.put(block.id(), null);
            return null;
        }
        String why = null;
        try {
            int size = reply.readableBytes() >= 2 ? reply.order(java.nio.ByteOrder.LITTLE_ENDIAN).getUnsignedShort(reply.readerIndex()) : -1;
            if (size != block.size()) {
                why = block.id() + " (instance " + block.instance() + ") is " + size + " bytes on the meter, the"
                        + " profile expects " + block.size() + ": fix the profile's block or drop the block from"
                        + " blockIntervals";
                LOG.error("EtherNet/IP meter {}: {}", settings.meterId(), why);
            }
        } finally {
            ReferenceCountUtil.release(reply);
        }
        sizeMismatch.put(block.id(), why);
        return why;
    }

    private CompletableFuture<ByteBuf> invoke(PaddedEPath path) {
        GetAttributeSingleService service = new GetAttributeSingleService(path);
        return client.inFlight(connection != null ? client.invokeConnected(connection.o2tId(), service)
                : client.invoke(service));
    }

    private static PaddedEPath path(int classId, int instance, int attribute) {
        return new PaddedEPath(new ClassId(classId), new InstanceId(instance), new AttributeId(attribute));
    }

    /**
     * Waits for a reply; the library times requests out itself, this bound only guards against it not doing so. A
     * connection that ends meanwhile fails the wait at once ({@link SessionClient#inFlight}).
     */
    <T> T await(CompletableFuture<T> future) throws Exception {
        if (client != null) {
            client.inFlight(future);
        }
        try {
            return future.get(settings.timeoutMillis() * 2L + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            future.cancel(false);
            throw e;
        }
    }

    /** Datagrams received, dropped (repeated or older) and missed (sequence gaps) on the Class 1 connections. */
    synchronized long[] ioCounts() {
        return io.counts();
    }

    @Override
    protected PollFailure classify(Exception e) {
        return new PollFailure(status(e), describe(e));
    }

    static AcquisitionStatus status(Throwable e) {
        if (e instanceof SessionClient.Ended ended) {
            return ended.malformed() ? AcquisitionStatus.PROTOCOL_ERROR : AcquisitionStatus.CONNECTION_LOST;
        }
        if (CipResponseException.extract(e).isPresent()) {
            return AcquisitionStatus.DEVICE_ERROR;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            // the library fails a request it gave up on with a plain Exception "... timed out waiting ..."
            if (t instanceof TimeoutException || t.getClass().getSimpleName().contains("Timeout")
                    || String.valueOf(t.getMessage()).contains("timed out")) {
                return AcquisitionStatus.TIMEOUT;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return AcquisitionStatus.CONNECTION_LOST;
            }
        }
        return e instanceof IndexOutOfBoundsException || e instanceof IllegalArgumentException
                ? AcquisitionStatus.PROTOCOL_ERROR : AcquisitionStatus.CONNECTION_LOST;
    }

    static String describe(Throwable e) {
        if (e instanceof SessionClient.Ended) {
            return e.getMessage();
        }
        var cip = CipResponseException.extract(e);
        if (cip.isPresent()) {
            return "CIP " + cip.get().getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /**
     * Drops the session without waiting. While it is intact: Forward_Close, then UnRegisterSession (the library
     * waits for a reply a device never sends, so this ends at the timeout), then every connection closed. A
     * session that already ended is not spoken to again (that would make the library reconnect): its connections
     * are closed at once.
     */
    @Override
    protected void disconnect() {
        SessionClient c = client;
        ClassThree.Connection open = connection;
        client = null;
        connection = null;
        Duration timeout = Duration.ofMillis(settings.timeoutMillis());
        boolean intact = c != null && c.intact();
        List<CompletableFuture<?>> closes = io.closeAll(intact ? c : null, timeout);
        if (c == null) {
            return;
        }
        if (!intact) {
            c.closeAll();
            c.disconnect();
            return;
        }
        if (open != null) {
            closes.add(ClassThree.close(c, open, timeout));
        }
        CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).handle((r, e) -> c.disconnect())
                .thenCompose(f -> f).whenComplete((r, e) -> c.closeAll());
    }
}
