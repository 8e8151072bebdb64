package io.pm500.itest;

import io.pm500.testkit.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/** Starts the simulator bundle's meters on free loopback ports. */
final class SimulatedMeters {
    static final String COMPONENT = "io.pm500.simulator.internal.SimulatorComponent";

    private SimulatedMeters() {
    }

    /**
     * Configures the simulator. A configuration deleted just before (by the previous test) is first seen gone by
     * SCR: a new one created while SCR still handles the deletion can be lost between the two events.
     */
    static void configure(ConfigurationAdmin configAdmin, ServiceComponentRuntime scr, int meters, int basePort)
            throws Exception {
        Await.until(Duration.ofSeconds(30), () -> "the previous simulator configuration still active",
                () -> scr.getComponentDescriptionDTOs().stream().filter(d -> d.name.equals(COMPONENT))
                        .allMatch(d -> scr.getComponentConfigurationDTOs(d).isEmpty()));
        Configuration c = configAdmin.getConfiguration("pm500.simulator", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("meters", meters);
        p.put("basePort", basePort);
        p.put("host", "127.0.0.1");
        c.update(p);
    }

    /** Two adjacent free loopback ports: one meter's Modbus and EtherNet/IP ports. */
    static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = first.getLocalPort();
                if (port < 65_000) {
                    try (ServerSocket second = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
                        return port;
                    } catch (IOException taken) {
                        // try another
                    }
                }
            }
        }
        throw new IOException("no two adjacent free ports on loopback");
    }
}
