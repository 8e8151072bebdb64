package io.pm500.itest;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Factory configurations a test makes, deleted again when it closes. */
final class TestConfigs implements AutoCloseable {
    private final ConfigurationAdmin configAdmin;
    private final List<Configuration> made = new ArrayList<>();

    TestConfigs(ConfigurationAdmin configAdmin) {
        this.configAdmin = configAdmin;
    }

    /** Creates (or updates) {@code <factoryPid>~<name>} with these properties. */
    Configuration factory(String factoryPid, String name, Map<String, Object> properties) throws Exception {
        Configuration c = configAdmin.getFactoryConfiguration(factoryPid, name, "?");
        made.add(c);
        c.update(new Hashtable<>(properties));
        return c;
    }

    @Override
    public void close() throws Exception {
        for (Configuration c : made) {
            c.delete();
        }
        made.clear();
    }
}
