package io.pm500.itest;

import io.pm500.testkit.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;

/**
 * Gives the test framework's Jetty a free loopback port (the test bndrun starts it without one) and talks to it.
 */
final class GatewayHttp {
    static final String HTTP_PID = "org.apache.felix.http";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private GatewayHttp() {
    }

    /** The Web Console's base URI, configuring HTTP on a free port first if no test has yet. */
    static synchronized URI console(BundleContext context, ConfigurationAdmin configAdmin) throws Exception {
        Configuration http = configAdmin.getConfiguration(HTTP_PID, "?");
        Dictionary<String, Object> properties = http.getProperties();
        if (properties == null || properties.get("org.osgi.service.http.port") == null) {
            properties = new Hashtable<>();
            properties.put("org.apache.felix.http.host", "127.0.0.1");
            properties.put("org.osgi.service.http.port", freePort());
            http.update(properties);
        }
        String expected = "http://127.0.0.1:" + properties.get("org.osgi.service.http.port") + "/";
        Await.until(Duration.ofSeconds(30), () -> "HTTP endpoint " + expected + "; have " + endpoints(context),
                () -> endpoints(context).contains(expected));
        return URI.create(expected + "system/console");
    }

    private static String endpoints(BundleContext context) {
        ServiceReference<HttpServiceRuntime> ref = context.getServiceReference(HttpServiceRuntime.class);
        Object endpoint = ref == null ? null : ref.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        return endpoint instanceof String[] all ? Arrays.toString(all) : String.valueOf(endpoint);
    }

    static HttpResponse<String> get(URI uri, String credentials) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).GET(), credentials);
    }

    static HttpResponse<String> send(HttpRequest.Builder request, String credentials)
            throws IOException, InterruptedException {
        request.timeout(Duration.ofSeconds(20));
        if (credentials != null) {
            request.header("Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
