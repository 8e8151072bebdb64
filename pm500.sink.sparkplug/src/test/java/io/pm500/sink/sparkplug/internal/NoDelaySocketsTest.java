package io.pm500.sink.sparkplug.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** Issue 23: the broker connection's sockets, as Paho makes them (unconnected, then connected), send at once. */
class NoDelaySocketsTest {

    private static void assertConnectsWithoutNagle(SocketFactory sockets) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 5, loopback)) {
            try (Socket s = sockets.createSocket()) {
                s.connect(new InetSocketAddress(loopback, server.getLocalPort()), 2000);
                assertThat(s.getTcpNoDelay()).as("unconnected, then connected").isTrue();
            }
            try (Socket s = sockets.createSocket(loopback, server.getLocalPort())) {
                assertThat(s.getTcpNoDelay()).as("connected by the factory").isTrue();
            }
        }
    }

    @Test
    void plainSocketsSendAtOnce() throws Exception {
        assertConnectsWithoutNagle(NoDelaySockets.plain());
    }

    @Test
    void tlsSocketsSendAtOnceAndStayTlsSockets() throws Exception {
        SocketFactory tls = NoDelaySockets.tls(SSLContext.getDefault().getSocketFactory());
        assertConnectsWithoutNagle(tls);
        try (Socket s = tls.createSocket()) {
            assertThat(s).as("Paho's TLS module casts to SSLSocket").isInstanceOf(SSLSocket.class);
        }
    }
}
