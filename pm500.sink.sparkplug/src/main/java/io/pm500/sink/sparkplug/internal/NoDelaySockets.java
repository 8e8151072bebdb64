package io.pm500.sink.sparkplug.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * Socket factories for the broker connection whose sockets send at once (TCP_NODELAY). A delivery's packets are
 * gathered into one write already ({@link GatheringOutput}); Nagle's algorithm, which Paho leaves on, could only hold
 * a delivery's write back until the broker acknowledged the previous one, which brokers' stacks delay (Linux up to
 * 40 ms).
 */
final class NoDelaySockets {
    private NoDelaySockets() {
    }

    /** Plain TCP (tcp://). */
    static SocketFactory plain() {
        return new Plain(SocketFactory.getDefault());
    }

    /** TLS (ssl://) over {@code tls}'s sockets: Paho needs an {@link SSLSocketFactory} there. */
    static SSLSocketFactory tls(SSLSocketFactory tls) {
        return new Tls(tls);
    }

    private static <S extends Socket> S noDelay(S socket) throws IOException {
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static final class Plain extends SocketFactory {
        private final SocketFactory sockets;

        Plain(SocketFactory sockets) {
            this.sockets = sockets;
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(sockets.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(sockets.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return noDelay(sockets.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(sockets.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return noDelay(sockets.createSocket(address, port, localAddress, localPort));
        }
    }

    private static final class Tls extends SSLSocketFactory {
        private final SSLSocketFactory sockets;

        Tls(SSLSocketFactory sockets) {
            this.sockets = sockets;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return sockets.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return sockets.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(sockets.createSocket());
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return noDelay(sockets.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(sockets.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return noDelay(sockets.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(sockets.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return noDelay(sockets.createSocket(address, port, localAddress, localPort));
        }
    }
}
