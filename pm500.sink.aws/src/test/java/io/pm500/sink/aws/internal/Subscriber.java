package io.pm500.sink.aws.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.SocketFactory;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * An independent MQTT 5 client (Eclipse Paho) that records what reaches {@code pm500/#}, re-subscribing after a
 * reconnect.
 */
final class Subscriber implements AutoCloseable, MqttCallback {
    record Received(String topic, byte[] payload) {
    }

    final List<Received> messages = new CopyOnWriteArrayList<>();
    /** Subscriptions made so far: one per (re)connection. */
    volatile int subscriptions;
    private final MqttClient client;

    Subscriber(String uri, SocketFactory tls) throws MqttException {
        client = new MqttClient(uri, "json-subscriber", new MemoryPersistence());
        client.setCallback(this);
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setSocketFactory(tls);
        o.setAutomaticReconnect(true);
        o.setAutomaticReconnectDelay(1, 2);
        o.setCleanStart(true);
        client.connect(o);
        client.subscribe("pm500/#", 1);
        subscriptions++;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        messages.add(new Received(topic, message.getPayload()));
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        if (reconnect) {
            new Thread(() -> {
                try {
                    client.subscribe("pm500/#", 1);
                    subscriptions++;
                } catch (MqttException e) {
                    throw new IllegalStateException(e);
                }
            }, "resubscribe").start();
        }
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
        // automatic reconnect
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
        // reported by the assertions on what arrived
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
        // subscriber only
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
        // no enhanced authentication
    }

    @Override
    public void close() throws MqttException {
        client.disconnect();
        client.close();
    }
}
