package io.pm500.runtime.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.felix.cm.PersistenceManager;
import org.apache.felix.cm.file.FilePersistenceManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where Config Admin keeps configurations: {@code data/config} of the gateway home. Felix Config Admin resolves a
 * relative {@code felix.cm.dir} inside its own bundle data area, which the launcher recreates on every start, so
 * what was set in the Web Console would be gone after a restart. It waits instead for this persistence manager
 * ({@code felix.cm.pm=pm500}), Felix's own file store at an absolute path.
 */
@Component(immediate = true, service = {}, configurationPolicy = ConfigurationPolicy.IGNORE)
public final class ConfigStore {
    static final String NAME = "pm500";
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

    private final ServiceRegistration<PersistenceManager> registration;

    @Activate
    public ConfigStore(BundleContext context) {
        String dir = Layout.of(context).data().resolve("config").toString();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PersistenceManager.PROPERTY_NAME, NAME);
        registration = context.registerService(PersistenceManager.class, new FilePersistenceManager(context, dir),
                props);
        LOG.info("Configurations are kept in {}", dir);
    }

    @Deactivate
    void deactivate() {
        registration.unregister();
    }
}
