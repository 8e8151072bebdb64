package io.pm500.sink.sparkplug.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.Set;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.internal.NetworkModule;
import org.eclipse.paho.mqttv5.client.internal.SSLNetworkModuleFactory;
import org.eclipse.paho.mqttv5.client.internal.TCPNetworkModuleFactory;
import org.eclipse.paho.mqttv5.client.spi.NetworkModuleFactory;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * Paho's own TCP and TLS network modules, with the output of a connection made with {@link Options} in a
 * {@link GatheringOutput} that the options then hold. Paho finds network modules through
 * {@code META-INF/services}; this bundle's file lists only this factory (the sink accepts tcp:// and ssl://
 * alone). Public for the service loader.
 */
public final class GatheringModules implements NetworkModuleFactory {
    private final NetworkModuleFactory tcp = new TCPNetworkModuleFactory();
    private final NetworkModuleFactory ssl = new SSLNetworkModuleFactory();

    /** Connection options whose connection's output can gather a batch's packets. */
    static final class Options extends MqttConnectionOptions {
        private volatile GatheringOutput output;

        /** The connection's output once Paho opened it; null before. */
        GatheringOutput output() {
            return output;
        }
    }

    @Override
    public Set<String> getSupportedUriSchemes() {
        return Set.of("tcp", "ssl");
    }

    @Override
    public void validateURI(URI brokerUri) {
        factory(brokerUri).validateURI(brokerUri);
    }

    @Override
    public NetworkModule createNetworkModule(URI brokerUri, MqttConnectionOptions options, String clientId)
            throws MqttException {
        NetworkModule module = factory(brokerUri).createNetworkModule(brokerUri, options, clientId);
        return options instanceof Options gathering ? new Gathering(module, gathering) : module;
    }

    private NetworkModuleFactory factory(URI brokerUri) {
        return "ssl".equalsIgnoreCase(brokerUri.getScheme()) ? ssl : tcp;
    }

    /** Paho's module, its output stream wrapped (Paho asks for it once per connection). */
    private record Gathering(NetworkModule module, Options options) implements NetworkModule {
        @Override
        public void start() throws IOException, MqttException {
            module.start();
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return module.getInputStream();
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            GatheringOutput out = new GatheringOutput(module.getOutputStream());
            options.output = out;
            return out;
        }

        @Override
        public void stop() throws IOException {
            module.stop();
        }

        @Override
        public String getServerURI() {
            return module.getServerURI();
        }
    }
}
