package io.pm500.itest;

import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** The test kit's sample feeder, playing a driver for one meter; it appends each acknowledged value to {@code acks}. */
final class Feeders {
    private Feeders() {
    }

    static Configuration start(ConfigurationAdmin configAdmin, String meterId, int periodMillis, Path acks)
            throws Exception {
        Configuration c = configAdmin.getFactoryConfiguration("pm500.testkit.feeder", meterId, "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("meterId", meterId);
        p.put("periodMillis", periodMillis);
        p.put("ackFile", acks.toString());
        c.update(p);
        return c;
    }
}
