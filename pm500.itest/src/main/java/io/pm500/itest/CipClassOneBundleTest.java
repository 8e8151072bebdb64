package io.pm500.itest;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.osgi.service.cm.Configuration;

/**
 * The EtherNet/IP driver bundle in Felix reading the simulated meter over Class 1 (input-only), its data received on
 * a free UDP port of the loopback: the restarts leave no thread (the receiving one included) and no connection.
 */
class CipClassOneBundleTest extends CipDriverBundleTest {
    private Configuration port;

    /** The port first, so the driver never binds the default one. */
    @BeforeEach
    @Override
    void start() throws Exception {
        port = configAdmin.getConfiguration("pm500.driver.cip.io", "?");
        port.update(new Hashtable<>(Map.of("port", 0, "bindAddress", "127.0.0.1")));
        super.start();
    }

    @AfterEach
    @Override
    void stop() throws Exception {
        super.stop();
        port.delete();
    }

    @Override
    Dictionary<String, Object> meter(int base) {
        Dictionary<String, Object> p = super.meter(base);
        p.put("messaging", "io-input-only");
        return p;
    }
}
