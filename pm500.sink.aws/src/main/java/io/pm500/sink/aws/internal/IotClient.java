package io.pm500.sink.aws.internal;

import io.pm500.api.sink.SinkException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.crt.CRT;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions;
import software.amazon.awssdk.crt.mqtt5.OnAttemptingConnectReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionFailureReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionSuccessReturn;
import software.amazon.awssdk.crt.mqtt5.OnDisconnectionReturn;
import software.amazon.awssdk.crt.mqtt5.OnStoppedReturn;
import software.amazon.awssdk.crt.mqtt5.PublishResult;
import software.amazon.awssdk.crt.mqtt5.QOS;
import software.amazon.awssdk.crt.mqtt5.packets.ConnectPacket;
import software.amazon.awssdk.crt.mqtt5.packets.PubAckPacket;
import software.amazon.awssdk.crt.mqtt5.packets.PublishPacket;
import software.amazon.awssdk.iot.AwsIotMqtt5ClientBuilder;

/**
 * The MQTT 5 session with AWS IoT Core (the SDK's client, mutual TLS from PEM files). The SDK reconnects on its own
 * with back-off; nothing is queued in it ({@code FAIL_ALL_ON_DISCONNECT}): the pipeline's outbox is the only
 * buffer, and a message counts as delivered only once its PUBACK says so.
 */
final class IotClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IotClient.class);

    private final AwsSettings settings;
    private final Mqtt5Client client;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String lastFailure = "not connected yet";
    private volatile boolean failing;
    private volatile boolean closing;

    /** @param connected called on every successful connection: queued readings go at once (see {@code Sink#onReady}) */
    IotClient(AwsSettings s, CrtRuntime crt, Runnable connected) {
        this.settings = s;
        Mqtt5ClientOptions.LifecycleEvents events = new Mqtt5ClientOptions.LifecycleEvents() {
            @Override
            public void onAttemptingConnect(Mqtt5Client c, OnAttemptingConnectReturn r) {
                // the outcome is what matters
            }

            @Override
            public void onConnectionSuccess(Mqtt5Client c, OnConnectionSuccessReturn r) {
                failing = false;
                LOG.info("AWS IoT sink '{}': connected to {}:{} as {}", s.sinkName(), s.endpoint(), s.port(),
                        s.thingName());
                connected.run();
            }

            @Override
            public void onConnectionFailure(Mqtt5Client c, OnConnectionFailureReturn r) {
                lastFailure = error(r.getErrorCode()) + (r.getConnAckPacket() == null ? ""
                        : " (CONNACK " + r.getConnAckPacket().getReasonCode() + ")") + likelyCause(r.getErrorCode());
                if (!failing) {
                    LOG.warn("AWS IoT sink '{}': cannot connect to {}:{} as {}: {}; retrying with back-off, readings"
                            + " stay queued", s.sinkName(), s.endpoint(), s.port(), s.thingName(), lastFailure);
                }
                failing = true;
            }

            @Override
            public void onDisconnection(Mqtt5Client c, OnDisconnectionReturn r) {
                lastFailure = "disconnected: " + error(r.getErrorCode());
                if (!closing) {
                    LOG.warn("AWS IoT sink '{}': {} from {}:{}; reconnecting", s.sinkName(), lastFailure,
                            s.endpoint(), s.port());
                }
            }

            @Override
            public void onStopped(Mqtt5Client c, OnStoppedReturn r) {
                stopped.countDown();
            }
        };
        try (AwsIotMqtt5ClientBuilder b = crt.mtlsBuilder(s.endpoint(), s.certFile(), s.keyFile())) {
            b.withPort((long) s.port());
            if (s.caFile() != null) {
                b.withCertificateAuthorityFromPath(null, s.caFile().toString());
            }
            b.withConnectProperties(new ConnectPacket.ConnectPacketBuilder().withClientId(s.thingName())
                    .withKeepAliveIntervalSeconds(30L));
            b.withOfflineQueueBehavior(Mqtt5ClientOptions.ClientOfflineQueueBehavior.FAIL_ALL_ON_DISCONNECT);
            b.withAckTimeoutSeconds((long) s.timeoutSeconds());
            b.withConnackTimeoutMs(s.timeoutSeconds() * 1000L);
            b.withMinReconnectDelayMs(1000L);
            // AWS IoT takes one CONNECT per second per client id; tries 1 to 1.5 s apart bring delivery back within
            // 2 s of the endpoint's return (the pipeline retries on the connection's success, Sink.onReady)
            b.withMaxReconnectDelayMs(1500L);
            b.withLifeCycleEvents(events);
            client = b.build();
        }
        client.start();
    }

    /** Publishes every message with QoS 1 and returns once all are PUBACKed with success. */
    void publish(List<Telemetry.Message> messages) throws SinkException {
        if (messages.isEmpty()) {
            return; // nothing new to say (a meter still without values)
        }
        if (!client.getIsConnected()) {
            throw SinkException.retriable(target() + " not connected: " + lastFailure, null);
        }
        List<CompletableFuture<PublishResult>> acks = new ArrayList<>(messages.size());
        for (Telemetry.Message m : messages) {
            acks.add(client.publish(new PublishPacket.PublishPacketBuilder().withTopic(m.topic())
                    .withQOS(QOS.AT_LEAST_ONCE).withPayload(m.payload())
                    .withPayloadFormat(PublishPacket.PayloadFormatIndicator.UTF8).build()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.timeoutSeconds());
        for (int i = 0; i < acks.size(); i++) {
            PubAckPacket ack;
            try {
                ack = acks.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                        .getResultPubAck();
            } catch (ExecutionException e) {
                throw SinkException.retriable(target() + ": publish to " + messages.get(i).topic() + " failed: "
                        + e.getCause().getMessage() + " (" + lastFailure + ")", e.getCause());
            } catch (TimeoutException e) {
                throw SinkException.retriable(target() + ": no PUBACK for " + messages.get(i).topic() + " within "
                        + settings.timeoutSeconds() + " s", null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw SinkException.retriable(target() + ": interrupted while waiting for PUBACKs", e);
            }
            check(ack, messages.get(i));
        }
    }

    /** PUBACK reason codes: data errors are permanent; authorisation and quota wait for a fix or for time. */
    private void check(PubAckPacket ack, Telemetry.Message m) throws SinkException {
        if (ack == null) {
            throw SinkException.retriable(target() + ": publish to " + m.topic() + " got no PUBACK", null);
        }
        String why = target() + " refused " + m.readings() + " readings on " + m.topic() + ": PUBACK "
                + ack.getReasonCode() + (ack.getReasonString() == null ? "" : " " + ack.getReasonString());
        switch (ack.getReasonCode()) {
            case SUCCESS, NO_MATCHING_SUBSCRIBERS -> {
                return;
            }
            case NOT_AUTHORIZED -> throw SinkException.retriable(why + "; let the thing's policy allow iot:Publish"
                    + " on this topic; readings stay queued", null);
            case QUOTA_EXCEEDED, UNSPECIFIED_ERROR, IMPLEMENTATION_SPECIFIC_ERROR, PACKET_IDENTIFIER_IN_USE ->
                throw SinkException.retriable(why + "; retrying with back-off", null);
            default -> throw SinkException.permanent(why, null);
        }
    }

    private String target() {
        return "aws sink '" + settings.sinkName() + "' (" + settings.thingName() + "@" + settings.endpoint() + ":"
                + settings.port() + ")";
    }

    /**
     * What a TLS failure while connecting most likely means, in words that name the certificate at fault: the CRT's
     * codes do not say which side refused which certificate.
     */
    private String likelyCause(int code) {
        String name = CRT.awsErrorName(code);
        if (name.equals("AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE")) {
            return " — the endpoint's certificate is not signed by " + (settings.caFile() == null
                    ? "a CA in the JVM's trust store" : "the CA in caFile '" + settings.caFile() + "'")
                    + " (or does not name " + settings.endpoint() + "), or the endpoint refused the client certificate";
        }
        if (name.startsWith("AWS_IO_TLS") || name.equals("AWS_IO_SOCKET_CLOSED")
                || name.equals("AWS_ERROR_MQTT_UNEXPECTED_HANGUP")) {
            return " — the endpoint closed the TLS session: it most likely refused the client certificate in certFile"
                    + " '" + settings.certFile() + "' (unknown to the account, inactive, revoked or expired)";
        }
        return "";
    }

    private static String error(int code) {
        return CRT.awsErrorName(code) + ": " + CRT.awsErrorString(code);
    }

    /**
     * Disconnects (a DISCONNECT when connected) and frees the client's native resources, within the gateway's stop
     * budget: a client in the middle of a failing TLS handshake never reports itself stopped, so it gets 1 s.
     */
    @Override
    public void close() {
        closing = true;
        client.stop();
        try {
            if (!stopped.await(1, TimeUnit.SECONDS)) {
                LOG.debug("AWS IoT sink '{}': the client did not report stopped within 1 s ({}); closing it anyway",
                        settings.sinkName(), lastFailure);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
