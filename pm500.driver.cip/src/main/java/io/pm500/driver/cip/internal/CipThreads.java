package io.pm500.driver.cip.internal;

import com.digitalpetri.enip.EtherNetIpShared;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.HashedWheelTimer;
import io.pm500.driver.kit.PollThreads;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EtherNet/IP driver's threads, shared by every meter: the polling threads every driver has
 * ({@link PollThreads}: a timer, {@value #IO_THREADS} threads that wait for replies of prompt meters and a slow lane
 * of up to {@value #SLOW_LANE_THREADS} for the others), and the ethernet-ip
 * library's own — one Netty event loop, one timeout wheel and one callback executor — created here rather than
 * taken from the library's static shared ones, so that stopping the bundle ends every one of them. The library's are
 * made for the first EtherNet/IP session: a gateway with no EtherNet/IP meter loads no Netty (its classes, a
 * selector).
 */
@Component(service = CipThreads.class)
public final class CipThreads {
    static final int IO_THREADS = 4;
    /** Polls of sessions being opened or timing out, blocked at once (see {@link PollThreads}). */
    static final int SLOW_LANE_THREADS = 32;
    private static final Logger LOG = LoggerFactory.getLogger(CipThreads.class);

    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final PollThreads poll = new PollThreads("cip", IO_THREADS, SLOW_LANE_THREADS);
    /** Guarded by this; null until the first session. */
    private Library library;
    private boolean stopped;

    /** What the ethernet-ip library runs its sessions on. */
    record Library(NioEventLoopGroup eventLoop, HashedWheelTimer wheelTimer, ExecutorService callbacks) {
    }

    PollThreads poll() {
        return poll;
    }

    /** The library's threads, made on first use. */
    synchronized Library library() {
        if (stopped) {
            throw new IllegalStateException("the EtherNet/IP driver is stopping");
        }
        if (library == null) {
            library = new Library(new NioEventLoopGroup(1, named("netty")), new HashedWheelTimer(named("timeouts")),
                    Executors.newFixedThreadPool(1, named("callbacks")));
        }
        return library;
    }

    /** Whether the library's threads were made: for tests. */
    synchronized boolean libraryStarted() {
        return library != null;
    }

    @Deactivate
    void stop() throws InterruptedException {
        poll.close();
        Library made;
        synchronized (this) {
            stopped = true;
            made = library;
        }
        if (made != null) {
            made.eventLoop().shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            made.wheelTimer().stop();
            made.callbacks().shutdownNow();
            EtherNetIpShared.releaseSharedResources(); // in case anything in the library reached for them
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                LOG.warn("EtherNet/IP driver: thread {} did not end within 10 s", t.getName());
            }
        }
    }

    private ThreadFactory named(String role) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "pm500-cip-" + role + "-" + n.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
    }
}
