package io.pm500.simulator;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread serving every meter's port of one protocol, with the meters' wire faults applied to every
 * reply (no reply, delay, garbage, truncation), their connections dropped on demand, and connections refused
 * while a meter reboots. A malformed or failing connection is closed alone; the others go on.
 */
abstract class NioServer implements AutoCloseable {
    static final int MAX_FRAME = 4096;
    private static final long SWEEP_MILLIS = 50;
    private static final Logger LOG = LoggerFactory.getLogger(NioServer.class);

    private final String name;
    private final Selector selector;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<DatagramChannel> datagrams = new ArrayList<>();
    private final Set<Peer> peers = new HashSet<>();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService timer;
    private final SplittableRandom random = new SplittableRandom(1);
    private Thread thread;

    NioServer(String name) throws IOException {
        this.name = name;
        this.selector = Selector.open();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-delay");
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds a meter's port (0: a free one); connections wait in the backlog until {@link #start()}. */
    final void listen(String host, int port, SimulatedMeter meter) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        listeners.add(server);
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true); // a restart must not wait out TIME_WAIT
        server.bind(new InetSocketAddress(host, port), 64);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT, meter);
    }

    /**
     * Binds a meter's UDP port (discovery); a port another program holds is left out with a warning: the meter
     * still serves TCP.
     */
    final void listenUdp(String host, int port, SimulatedMeter meter) throws IOException {
        DatagramChannel udp = DatagramChannel.open();
        try {
            udp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            udp.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            udp.close();
            LOG.warn("{} meter {}: UDP port {} is taken ({}); no UDP discovery for it", name, meter.index(), port,
                    e.toString());
            return;
        }
        udp.configureBlocking(false);
        udp.register(selector, SelectionKey.OP_READ, new Udp(meter, udp));
        datagrams.add(udp);
    }

    /** A reply turned to garbage: random bytes of the same length, unless the protocol keeps some framing. */
    ByteBuffer garbled(ByteBuffer frame) {
        byte[] noise = new byte[frame.remaining()];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (byte) random.nextInt(256);
        }
        return ByteBuffer.wrap(noise);
    }

    /** The answer to a datagram a meter's UDP port received, or null for none. */
    ByteBuffer datagram(SimulatedMeter meter, ByteBuffer request, DatagramChannel channel) {
        return null;
    }

    /** Starts serving; the owner calls it once everything the connections need is up. */
    final void start() {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    final int port(int meter) {
        return listeners.get(meter).socket().getLocalPort();
    }

    /** How many connections of a meter are open. */
    final int openConnections(SimulatedMeter meter) {
        int n = 0;
        for (Peer peer : peers) {
            n += peer.meter == meter ? 1 : 0;
        }
        return n;
    }

    /** A new connection of a meter that is up: its peer, or null when it was refused (and closed). */
    abstract Peer accepted(SimulatedMeter meter, SocketChannel channel) throws IOException;

    /** Runs a task on the selector thread. */
    final void submit(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    private void run() {
        try {
            while (selector.isOpen()) {
                // keys handed over one by one: a handler that closes connections cannot upset an iteration
                selector.select(this::handle, SWEEP_MILLIS);
                for (Runnable task; (task = tasks.poll()) != null;) {
                    task.run();
                }
                long now = System.nanoTime();
                for (Peer peer : List.copyOf(peers)) {
                    if (peer.meter.faults().connectionEpoch() != peer.epoch || peer.expired(now)) {
                        peer.close();
                    }
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            // closed: the server is stopping
        }
    }

    private void handle(SelectionKey key) {
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isAcceptable()) {
                SocketChannel channel = ((ServerSocketChannel) key.channel()).accept();
                SimulatedMeter meter = (SimulatedMeter) key.attachment();
                if (channel == null) {
                    return;
                }
                if (meter.faults().offline()) {
                    channel.close(); // rebooting: nothing listens
                    return;
                }
                try {
                    channel.configureBlocking(false);
                    channel.socket().setTcpNoDelay(true);
                    accepted(meter, channel);
                } catch (IOException | RuntimeException e) {
                    LOG.debug("{} meter {}: cannot serve a new connection: {}", name, meter.index(), e.toString());
                    channel.close();
                }
                return;
            }
            if (key.attachment() instanceof Udp udp) {
                udp.readable();
                return;
            }
            Peer peer = (Peer) key.attachment();
            if (key.isReadable()) {
                peer.readable();
            }
            if (key.isValid() && key.isWritable()) {
                peer.flush();
            }
        } catch (IOException | RuntimeException e) {
            if (key.attachment() instanceof Peer peer) {
                LOG.debug("{} meter {}: closing a connection: {}", name, peer.meter.index(), e.toString());
                peer.close();
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            selector.close();
            if (thread != null) {
                thread.join(5_000);
            }
        } catch (IOException e) {
            LOG.warn("{}: closing the selector failed: {}", name, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Peer peer : List.copyOf(peers)) {
            peer.close();
        }
        for (DatagramChannel udp : datagrams) {
            try {
                udp.close();
            } catch (IOException e) {
                LOG.warn("{}: closing a UDP port failed: {}", name, e.toString());
            }
        }
        for (ServerSocketChannel server : listeners) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.warn("{}: closing a listener failed: {}", name, e.toString());
            }
        }
    }

    /** A meter's UDP port: each datagram answered at once, unless the meter is down or silent. */
    private final class Udp {
        final SimulatedMeter meter;
        final DatagramChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);

        Udp(SimulatedMeter meter, DatagramChannel channel) {
            this.meter = meter;
            this.channel = channel;
        }

        void readable() throws IOException {
            in.clear();
            SocketAddress from = channel.receive(in);
            if (from == null || meter.faults().offline() || meter.faults().noReply()) {
                return;
            }
            ByteBuffer answer = datagram(meter, in.flip(), channel);
            if (answer != null) {
                channel.send(answer, from);
            }
        }
    }

    /** One TCP connection: reads frames, writes replies through the meter's faults. */
    abstract class Peer {
        final SimulatedMeter meter;
        final SocketChannel channel;
        final SelectionKey key;
        final long epoch;
        final ByteBuffer in = ByteBuffer.allocate(MAX_FRAME + 64).order(ByteOrder.LITTLE_ENDIAN);
        private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();

        Peer(SimulatedMeter meter, SocketChannel channel) throws IOException {
            this.meter = meter;
            this.channel = channel;
            this.epoch = meter.faults().connectionEpoch();
            this.key = channel.register(selector, SelectionKey.OP_READ, this);
            peers.add(this);
        }

        /** Consumes the complete frames from the buffer's position; leaves a partial one. */
        abstract void received(ByteBuffer data) throws IOException;

        /** Called when the connection closes. */
        void closed() {
        }

        /** True when the device would close this connection by itself now (an idle connection's timeout). */
        boolean expired(long nowNanos) {
            return false;
        }

        final void readable() throws IOException {
            if (channel.read(in) < 0 || meter.faults().connectionEpoch() != epoch) {
                // a request after a drop or reboot never reaches the meter, however soon it follows
                close();
                return;
            }
            in.flip();
            received(in);
            in.compact();
        }

        /** Sends a reply as the meter's faults allow. */
        final void reply(ByteBuffer frame) {
            Faults faults = meter.faults();
            if (faults.noReply()) {
                return;
            }
            if (faults.garbage()) {
                frame = garbled(frame);
            }
            if (faults.truncate()) {
                frame.limit(frame.position() + frame.remaining() / 2);
            }
            long delay = faults.delayMillis();
            if (delay > 0) {
                ByteBuffer later = frame;
                timer.schedule(() -> submit(() -> write(later)), delay, TimeUnit.MILLISECONDS);
            } else {
                write(frame);
            }
        }

        final void write(ByteBuffer frame) {
            if (!channel.isOpen()) {
                return;
            }
            out.add(frame);
            try {
                flush();
            } catch (IOException e) {
                close();
            }
        }

        final void flush() throws IOException {
            while (!out.isEmpty()) {
                ByteBuffer b = out.peek();
                channel.write(b);
                if (b.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    return;
                }
                out.poll();
            }
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        final void close() {
            if (!peers.remove(this)) {
                return;
            }
            closed(); // first: once the peer sees the socket close, the device no longer holds its connections
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
