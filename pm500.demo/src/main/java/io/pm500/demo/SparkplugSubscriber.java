package io.pm500.demo;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.eclipse.tahu.model.MetricDataTypeMap;

/**
 * Subscribes to every Sparkplug B topic and decodes each payload with Eclipse Tahu's decoder. Alias-only metrics
 * are resolved with what the births of the same edge node declared, as a host application does. A message is
 * stamped when Paho hands it over and decoded on a thread of its own, in order: decoding on Paho's callback thread
 * stamped a burst's later messages with the time the earlier ones took to decode (50 DDATA at once: tens of ms).
 */
public final class SparkplugSubscriber implements AutoCloseable {

    /**
     * One message as received.
     *
     * @param payload  the decoded payload, null for STATE (see {@code text})
     * @param text     the STATE JSON, or null
     * @param qos      the QoS it was delivered with: the publisher's, at most the subscription's 1
     * @param retained whether the broker delivered it as a retained message
     */
    public record Received(String topic, String type, String group, String node, String device,
            SparkplugBPayload payload, String text, byte[] raw, long receivedAtMillis, int qos, boolean retained) {
    }

    private final MqttAsyncClient client;
    private final Consumer<Received> consumer;
    private final Map<String, MetricDataTypeMap> types = new ConcurrentHashMap<>();
    private final Map<String, Map<Long, String>> names = new ConcurrentHashMap<>();
    private final ExecutorService decoding = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sparkplug-subscriber-decode");
        t.setDaemon(true);
        return t;
    });

    /** Connects to {@code uri} and subscribes to {@code spBv1.0/#}; messages go to {@code consumer} in order. */
    public SparkplugSubscriber(String uri, String clientId, Consumer<Received> consumer) throws MqttException {
        this(uri, clientId, null, consumer);
    }

    public SparkplugSubscriber(String uri, String clientId, javax.net.SocketFactory socketFactory,
            Consumer<Received> consumer) throws MqttException {
        this.consumer = consumer;
        client = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
        client.setCallback(new Callback());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(true);
        o.setAutomaticReconnect(false);
        if (socketFactory != null) {
            o.setSocketFactory(socketFactory);
        }
        try {
            client.connect(o).waitForCompletion(10_000);
            client.subscribe(new MqttSubscription[] { new MqttSubscription("spBv1.0/#", 1) }, null, null,
                    new MqttProperties()).waitForCompletion(10_000);
        } catch (MqttException e) {
            client.close(true);
            decoding.shutdownNow();
            throw e;
        }
    }

    /** False once the broker connection dropped: this subscriber does not reconnect (see {@code Watch}). */
    public boolean isConnected() {
        return client.isConnected();
    }

    /** The metric name an edge node's births gave an alias, or null. */
    public String nameOf(String node, long alias) {
        Map<Long, String> m = names.get(node);
        return m == null ? null : m.get(alias);
    }

    /** Publishes a command or a STATE (as a host would). */
    public IMqttToken publish(String topic, byte[] payload, int qos, boolean retained) throws MqttException {
        return client.publish(topic, payload, qos, retained);
    }

    /** Disconnects; what arrived before is decoded and handed to the consumer before this returns. */
    @Override
    public void close() throws MqttException {
        try {
            if (client.isConnected()) {
                client.disconnect().waitForCompletion(5000);
            }
        } finally {
            client.close(true);
            decoding.shutdown();
            try {
                decoding.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void handle(String topic, MqttMessage message) {
        long now = System.currentTimeMillis();
        byte[] raw = message.getPayload();
        int qos = message.getQos();
        boolean retained = message.isRetained();
        decoding.execute(() -> {
            try {
                decode(topic, raw, qos, retained, now);
            } catch (Exception e) {
                // an undecodable payload is reported, and the messages after it are decoded
                consumer.accept(new Received(topic, "UNDECODABLE", null, null, null, null, e.toString(), raw, now,
                        qos, retained));
            }
        });
    }

    private void decode(String topic, byte[] raw, int qos, boolean retained, long now) throws Exception {
        String[] parts = topic.split("/");
        if (parts.length >= 3 && "STATE".equals(parts[1])) {
            consumer.accept(new Received(topic, "STATE", null, parts[2], null, null,
                    new String(raw, StandardCharsets.UTF_8), raw, now, qos, retained));
            return;
        }
        if (parts.length < 4) {
            return;
        }
        String type = parts[2];
        String nodeKey = parts[1] + "/" + parts[3];
        MetricDataTypeMap map = types.computeIfAbsent(nodeKey, k -> new MetricDataTypeMap());
        if ("NBIRTH".equals(type)) {
            map.clear();
            names.remove(nodeKey);
        }
        SparkplugBPayload payload = new SparkplugBPayloadDecoder().buildFromByteArray(raw, map);
        if (type.endsWith("BIRTH")) {
            Map<Long, String> n = names.computeIfAbsent(nodeKey, k -> new ConcurrentHashMap<>());
            for (Metric m : payload.getMetrics()) {
                if (m.hasAlias()) {
                    map.addMetricDataType(m.getAlias(), m.getDataType());
                    n.put(m.getAlias(), m.getName());
                }
            }
        }
        consumer.accept(new Received(topic, type, parts[1], parts[3], parts.length > 4 ? parts[4] : null, payload,
                null, raw, now, qos, retained));
    }

    private final class Callback implements MqttCallback {
        @Override
        public void disconnected(MqttDisconnectResponse response) {
            // no reconnect: tests see the gap in what arrives; the watcher starts a new subscriber
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
            // reported through disconnected
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            handle(topic, message);
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
            // nothing to track: commands are fire-and-forget
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
            // connected in the constructor
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
            // no enhanced authentication
        }
    }
}
