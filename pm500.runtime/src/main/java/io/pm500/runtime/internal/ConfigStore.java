package io.pm500.runtime.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import org.apache.felix.cm.PersistenceManager;
import org.apache.felix.cm.file.FilePersistenceManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
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
 *
 * <p>Files in {@code conf/} are the source of truth for what came from them: before Config Admin sees the store, a
 * configuration made from a file that is gone (deleted while the gateway was stopped; {@link ConfFolder} notices
 * deletions while it runs) is removed from it, so it never starts again. Configurations made in the Web Console
 * carry no file name and are kept. Secrets are sealed in the store ({@link SealedStore}).
 */
@Component(immediate = true, service = {}, configurationPolicy = ConfigurationPolicy.IGNORE)
public final class ConfigStore {
    static final String NAME = "pm500";
    /**
     * The property {@link ConfFolder} gives the configurations it makes from files: FileInstall's name, so that stores
     * written when FileInstall read {@code conf/} carry over.
     */
    static final String FILENAME = "felix.fileinstall.filename";
    static final String SECRETS_KEY = "secrets.key";
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

    private final ServiceRegistration<PersistenceManager> registration;

    @Activate
    public ConfigStore(BundleContext context) throws IOException {
        Layout layout = Layout.of(context);
        layout.create(); // owner-only before anything is written into data/
        String dir = layout.data().resolve("config").toString();
        FilePersistenceManager files = new FilePersistenceManager(context, dir);
        forgetConfigurationsOfDeletedFiles(files);
        SealedStore store = new SealedStore(files, layout.data().resolve(SECRETS_KEY));
        store.sealClearSecrets().forEach(pid -> LOG.info("Configuration {}: its secrets were stored in clear text;"
                + " now sealed with {}", pid, layout.data().resolve(SECRETS_KEY)));
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(PersistenceManager.PROPERTY_NAME, NAME);
        registration = context.registerService(PersistenceManager.class, store, props);
        LOG.info("Configurations are kept in {} (secrets sealed with {})", dir, layout.data().resolve(SECRETS_KEY));
    }

    @Deactivate
    void deactivate() {
        registration.unregister();
    }

    private static void forgetConfigurationsOfDeletedFiles(FilePersistenceManager store) {
        List<String> gone = new ArrayList<>();
        for (Enumeration<?> all = store.getDictionaries(); all.hasMoreElements();) {
            Dictionary<?, ?> config = (Dictionary<?, ?>) all.nextElement();
            Object name = config.get(FILENAME);
            Path file = name == null ? null : path(name.toString());
            if (file != null && !Files.exists(file)) {
                gone.add(config.get(Constants.SERVICE_PID) + " (" + file + ")");
                store.delete(String.valueOf(config.get(Constants.SERVICE_PID)));
            }
        }
        gone.forEach(g -> LOG.info("Configuration {} came from a file in conf/ that is gone: deleted (conf/ is the"
                + " source of truth for what came from it)", g));
    }

    /** A file URI, as ConfFolder and FileInstall write it; a plain path is read as one too. */
    private static Path path(String name) {
        try {
            return name.startsWith("file:") ? Path.of(URI.create(name)) : Path.of(name);
        } catch (IllegalArgumentException e) {
            LOG.warn("Configuration file name '{}' cannot be read as a path ({}); its configuration is kept", name,
                    e.getMessage());
            return null;
        }
    }
}
