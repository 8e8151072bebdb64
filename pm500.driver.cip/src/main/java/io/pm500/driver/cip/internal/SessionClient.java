package io.pm500.driver.cip.internal;

import com.digitalpetri.enip.EtherNetIpClientConfig;
import com.digitalpetri.enip.cip.CipClient;
import com.digitalpetri.enip.cip.epath.EPath.PaddedEPath;
import com.digitalpetri.enip.commands.Command;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The library's client, held to one TCP connection per session. The library reconnects by itself, silently, when
 * it is asked to send on a connection the device closed — with a new session handle the driver does not know and
 * a CIP connection id that is no longer valid, and a connection that outlives the driver's own close. This client
 * sees every connection the library writes a command on, so that the driver can tell when its session is no longer
 * the one it opened ({@link #intact()}), close every connection it ever made ({@link #closeAll()}), and learn why a
 * connection ended ({@link #ended()}). Why a connection failed is caught here, once, instead of reaching Netty's
 * pipeline tail, which logs it with a stack trace and no meter id.
 */
final class SessionClient extends CipClient {
    /** Why the session's connection ended: closed by the device, reset, or a reply the codec could not read. */
    static final class Ended extends IOException {
        private static final long serialVersionUID = 1L;
        private final boolean malformed;

        Ended(String message, Throwable cause, boolean malformed) {
            super(message, cause);
            this.malformed = malformed;
        }

        boolean malformed() {
            return malformed;
        }
    }

    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private volatile Channel first;
    private volatile boolean closed;
    private volatile Ended ended;
    private volatile CompletableFuture<?> inFlight;

    SessionClient(EtherNetIpClientConfig config) {
        super(config, new PaddedEPath()); // the meter is the end of the path: no route to a backplane slot
    }

    @Override
    public <T extends Command> void writeCommand(Channel channel, Command command, CompletableFuture<T> future) {
        if (channels.add(channel)) {
            channel.pipeline().addLast(new Watch());
            if (first == null) {
                first = channel;
            }
        }
        if (closed) { // a reconnect the library started after the driver let the session go
            channel.close();
            future.completeExceptionally(new Ended("the session is closed", null, false));
            return;
        }
        super.writeCommand(channel, command, future);
    }

    /** The connection this session opened is still up, and the library has not opened another behind it. */
    boolean intact() {
        Channel c = first;
        return c != null && c.isActive() && channels.size() == 1 && ended == null;
    }

    /** Why the connection ended, or null while it is up. */
    Ended ended() {
        return ended;
    }

    /**
     * The request now waiting for a reply: failed at once if the connection ends (or has just ended, before the
     * request was registered here), rather than at its timeout.
     */
    <T> CompletableFuture<T> inFlight(CompletableFuture<T> request) {
        inFlight = request;
        Ended why = ended;
        if (why != null) {
            request.completeExceptionally(why);
        }
        return request;
    }

    /** Closes every connection this client ever had, and any the library opens from now on. */
    void closeAll() {
        closed = true;
        channels.forEach(Channel::close);
    }

    /** The last handler of each connection: records why it ended and fails the request waiting on it. */
    private final class Watch extends ChannelInboundHandlerAdapter {
        private Throwable cause;

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
            if (cause == null) {
                cause = t;
            }
            ctx.close(); // not passed on: the pipeline's tail would log it with a stack trace
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            Ended why;
            if (cause instanceof DecoderException d) {
                Throwable root = d.getCause() != null ? d.getCause() : d;
                why = new Ended("malformed reply: " + root.getClass().getSimpleName() + ": " + root.getMessage(), d,
                        true);
            } else if (cause != null) {
                why = new Ended("the device reset the connection (" + cause.getMessage() + ")", cause, false);
            } else {
                why = new Ended("the device closed the connection", null, false);
            }
            if (ended == null) {
                ended = why;
            }
            CompletableFuture<?> waiting = inFlight;
            if (waiting != null) {
                waiting.completeExceptionally(why);
            }
            super.channelInactive(ctx);
        }
    }
}
