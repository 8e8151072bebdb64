package io.pm500.sink.sparkplug.internal;

import io.pm500.kit.tls.PemTls;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.MqttReturnCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An edge node's MQTT 5 connection over Paho: one client at a time, connected by this class (Paho's automatic
 * reconnect is off: every CONNECT needs a new will with the next {@code bdSeq}, §6.4.5), subscribed to the node's
 * commands (and the primary host's STATE), failing over across the broker URIs with a capped backoff. It runs on the
 * node's session thread and takes the node's lock around what the node shares; late callbacks of a replaced client
 * are dropped.
 */
final class MqttLink {
    private static final Logger LOG = LoggerFactory.getLogger(MqttLink.class);
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    /** The node's side. Every call is made with the lock held. */
    interface Node {
        /** Connected and subscribed. */
        void connected() throws MqttException;

        /** No connection now (connecting, failed, lost or closed on purpose): why, for the sink's status. */
        void down(String why);

        /** A message on a subscribed topic, from the current client. */
        void arrived(String topic, byte[] payload);
    }

    private final SparkplugSettings s;
    private final BdSeqStore bdSeqStore;
    private final NodeMessages messages;
    private final ReentrantLock lock;
    private final ScheduledExecutorService session;
    private final Node node;
    // guarded by lock (written by the session thread only)
    private MqttAsyncClient client;
    /** The current client's connection options, which hold its output once connected. */
    private GatheringModules.Options clientOptions;
    private IMqttToken lastToken;
    private int serverIndex;
    private long bdSeq;
    // session thread only
    /** A bdSeq drawn for a connect that never sent its CONNECT: the next attempt uses it. */
    private long unsentBdSeq = -1;
    private int failures;
    private volatile boolean stopped;

    MqttLink(SparkplugSettings settings, BdSeqStore bdSeqStore, NodeMessages messages, ReentrantLock lock,
            ScheduledExecutorService session, Node node) {
        this.s = settings;
        this.bdSeqStore = bdSeqStore;
        this.messages = messages;
        this.lock = lock;
        this.session = session;
        this.node = node;
    }

    /** The bdSeq of the current connection (its will's); under the lock. */
    long bdSeq() {
        return bdSeq;
    }

    /** The broker URI connected to, or tried next. */
    String server() {
        return s.brokerUris().get(serverIndex);
    }

    /** Connects to the current broker; on the session thread. */
    void connect() {
        if (stopped) {
            return;
        }
        String uri = server();
        MqttAsyncClient c = null;
        long nextBdSeq = -1;
        try {
            // a bdSeq is used up by a CONNECT that went out with its will, not by an attempt that never reached a
            // broker (§6.4.5: +1 per CONNECT)
            nextBdSeq = unsentBdSeq >= 0 ? unsentBdSeq : bdSeqStore.next();
            unsentBdSeq = -1;
            // before the client: options that cannot be made (a TLS file gone) fail the attempt, which is retried
            GatheringModules.Options o = options(nextBdSeq, uri);
            c = new MqttAsyncClient(uri, s.clientId(), new MemoryPersistence());
            c.setCallback(new Callback(c));
            lock.lock();
            try {
                client = c;
                clientOptions = o;
                bdSeq = nextBdSeq;
                node.down("connecting to " + uri);
            } finally {
                lock.unlock();
            }
            c.connect(o).waitForCompletion(TimeUnit.SECONDS.toMillis(s.connectTimeoutSeconds()));
            List<MqttSubscription> subs = new ArrayList<>(List.of(new MqttSubscription(messages.topic("NCMD"), 1),
                    new MqttSubscription(messages.topic("DCMD") + "/+", 1)));
            if (!s.primaryHostId().isEmpty()) {
                subs.add(new MqttSubscription("spBv1.0/STATE/" + s.primaryHostId(), 1));
            }
            // the array form with no per-subscription listener: Paho 1.2.5's listener form overflows the stack
            c.subscribe(subs.toArray(new MqttSubscription[0]), null, null, new MqttProperties())
                    .waitForCompletion(TimeUnit.SECONDS.toMillis(s.connectTimeoutSeconds()));
            failures = 0;
            LOG.info("Sparkplug sink '{}': connected to {} as {} (bdSeq {})", s.sinkName(), uri, s.clientId(),
                    nextBdSeq);
            lock.lock();
            try {
                if (client == c) {
                    node.connected();
                }
            } finally {
                lock.unlock();
            }
        } catch (MqttException | IOException | RuntimeException e) {
            if (nextBdSeq >= 0 && connectNotSent(e)) {
                unsentBdSeq = nextBdSeq;
            }
            failed(c, uri, e);
        }
    }

    /** True when the failure came before an MQTT CONNECT went out: no TCP connection, or no TLS session. */
    static boolean connectNotSent(Throwable e) {
        if (e instanceof MqttException m
                && m.getReasonCode() == MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
                    || t instanceof java.net.NoRouteToHostException || t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    private void failed(MqttAsyncClient c, String uri, Exception e) {
        String why = "no connection to " + uri + ": " + describe(e);
        if (stopped) {
            // the session stopped while it connected (a new configuration, the bundle stopping): not a fault, and
            // the leave queued behind this ends it — with NDEATH when the connection came up
            LOG.debug("Sparkplug sink '{}': {} (stopping)", s.sinkName(), why);
            return;
        }
        lock.lock();
        try {
            if (c != null && client != c) {
                return;
            }
            close(why);
            serverIndex = (serverIndex + 1) % s.brokerUris().size();
        } finally {
            lock.unlock();
        }
        failures++;
        long delay = Math.min(MAX_BACKOFF_MILLIS, 1000L << Math.min(failures - 1, 5));
        LOG.warn("Sparkplug sink '{}': {}; trying {} in {} ms", s.sinkName(), why, server(), delay);
        schedule(this::connect, delay);
    }

    private void lost(MqttAsyncClient c, String reason) {
        String why;
        lock.lock();
        try {
            if (client != c) {
                return;
            }
            why = "connection to " + server() + " lost: " + reason;
            close(why);
        } finally {
            lock.unlock();
        }
        LOG.warn("Sparkplug sink '{}': {}; reconnecting", s.sinkName(), why);
        schedule(this::connect, 0);
    }

    private void arrived(MqttAsyncClient c, String topic, byte[] payload) {
        lock.lock();
        try {
            if (client == c && !stopped) {
                node.arrived(topic, payload);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Publishes at QoS 0; the token is kept for {@link #awaitLast}. Under the lock. */
    void publish(String topic, byte[] payload) throws MqttException {
        if (client == null) {
            throw new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED);
        }
        lastToken = client.publish(topic, payload, 0, false);
    }

    /**
     * Gathers what is published from now on into one socket write, until the returned output is released (after
     * the batch's last token completed); null when not connected. Under the lock.
     */
    GatheringOutput gather() {
        GatheringOutput out = client == null ? null : clientOptions.output();
        if (out != null) {
            out.gather();
        }
        return out;
    }

    /** Forgets the last publish's token, before a batch. Under the lock. */
    void clearLast() {
        lastToken = null;
    }

    /** The token of the last publish since {@link #clearLast}; null when nothing was published. Under the lock. */
    IMqttToken last() {
        return lastToken;
    }

    /**
     * Leaves on purpose (§5.5): NDEATH at QoS 1, confirmed, then DISCONNECT "with will message" so the broker sends
     * the will too, then closes. Under the lock.
     */
    void leave(String why) {
        MqttAsyncClient c = client;
        if (c != null && c.isConnected()) {
            try {
                c.publish(messages.topic("NDEATH"), messages.ndeath(bdSeq), 1, false).waitForCompletion(2000);
                c.disconnect(2000, null, null, MqttReturnCode.RETURN_CODE_DISCONNECT_WITH_WILL_MESSAGE,
                        new MqttProperties()).waitForCompletion(3000);
                LOG.info("Sparkplug sink '{}': NDEATH sent and disconnected from {} ({})", s.sinkName(), server(),
                        why);
            } catch (MqttException e) {
                LOG.warn("Sparkplug sink '{}': NDEATH/DISCONNECT failed ({}); the broker sends the will NDEATH",
                        s.sinkName(), e.getMessage());
            }
        }
        close(why);
    }

    /** Leaves (NDEATH, DISCONNECT) and connects to the next broker. Under the lock. */
    void leaveForNext(String why) {
        leave(why);
        serverIndex = (serverIndex + 1) % s.brokerUris().size();
        schedule(this::connect, 0);
    }

    /** No connection attempts after this. */
    void stop() {
        stopped = true;
    }

    /** Runs a task on the session thread after a delay, unless stopping. */
    void schedule(Runnable task, long delayMillis) {
        if (!stopped) {
            try {
                session.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // stopping: nothing more to do
            }
        }
    }

    private void close(String why) {
        node.down(why);
        MqttAsyncClient c = client;
        client = null;
        clientOptions = null;
        lastToken = null;
        if (c == null) {
            return;
        }
        try {
            if (c.isConnected()) {
                c.disconnectForcibly(0, 1000, false);
            }
        } catch (MqttException e) {
            LOG.debug("Sparkplug sink '{}': forced disconnect: {}", s.sinkName(), e.getMessage());
        }
        try {
            c.close(true);
        } catch (MqttException e) {
            LOG.debug("Sparkplug sink '{}': close: {}", s.sinkName(), e.getMessage());
        }
    }

    private GatheringModules.Options options(long willBdSeq, String uri) {
        GatheringModules.Options o = new GatheringModules.Options();
        o.setCleanStart(true);
        o.setSessionExpiryInterval(0L);
        o.setAutomaticReconnect(false);
        o.setKeepAliveInterval(s.keepAliveSeconds());
        o.setConnectionTimeout(s.connectTimeoutSeconds());
        MqttMessage will = new MqttMessage(messages.ndeath(willBdSeq), 1, false, null);
        o.setWill(messages.topic("NDEATH"), will);
        if (!s.username().isEmpty()) {
            o.setUserName(s.username());
        }
        if (s.password() != null) {
            o.setPassword(s.password());
        }
        // by this broker's scheme: a list may fail over between tcp:// and ssl:// brokers
        o.setSocketFactory(uri.regionMatches(true, 0, "ssl:", 0, 4)
                ? NoDelaySockets.tls(PemTls.context("sparkplug", s.caFile(), s.clientCertFile(), s.clientKeyFile())
                        .getSocketFactory())
                : NoDelaySockets.plain());
        return o;
    }

    /** The root cause says what is wrong (refused, PKIX, bad_certificate); Paho's own wrapper text rarely does. */
    private static String describe(Exception e) {
        Throwable cause = e.getCause();
        return cause != null && cause != e ? cause.toString() : e.toString();
    }

    /** Paho's callbacks, tied to one client so a late callback from a replaced client is ignored. */
    private final class Callback implements MqttCallback {
        private final MqttAsyncClient c;

        Callback(MqttAsyncClient c) {
            this.c = c;
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            String reason = response.getException() != null ? response.getException().getMessage()
                    : "broker sent DISCONNECT " + response.getReturnCode();
            schedule(() -> lost(c, reason), 0);
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
            LOG.warn("Sparkplug sink '{}': MQTT error: {}", s.sinkName(), exception.getMessage());
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            byte[] payload = message.getPayload();
            schedule(() -> arrived(c, topic, payload), 0);
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
            // QoS 0 data: completion is awaited on the last token of a batch instead
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
            // connecting is driven by connect(), not by Paho's reconnect
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
            // no enhanced authentication
        }
    }
}
