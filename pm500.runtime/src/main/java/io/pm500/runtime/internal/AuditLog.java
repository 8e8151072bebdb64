package io.pm500.runtime.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pm500.kit.config.ConfigBatches;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who changed what: {@code <logs>/audit.log}, owner-only, only ever appended to, one JSON object per line
 * ({@code time, user, address, action, target}, and {@code changes} {@code {key: [old, new]}} with secrets masked).
 * Logins (ok and failed) and console actions come from {@link ConsoleSecurity}; configuration changes from Config
 * Admin, whatever made them; bundle life-cycle changes from the framework once the gateway has started. A change is
 * the console user's when that user sent a state-changing request within {@link #ATTRIBUTION_MILLIS} before it;
 * otherwise its source is its file ({@code conf/…}, {@code deploy/…}) or {@code gateway}.
 */
@Component(service = { AuditLog.class, ConfigurationListener.class }, immediate = true,
        configurationPolicy = ConfigurationPolicy.IGNORE)
public final class AuditLog implements ConfigurationListener, SynchronousBundleListener {
    static final String FILE = "audit.log";
    static final String MASK = "********";
    static final long ATTRIBUTION_MILLIS = 5_000;
    /** The bnd launcher registers a service with this property once every bundle is started. */
    private static final String LAUNCHER_READY = "(launcher.ready=true)";
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The console user behind the latest state-changing request. */
    private record Actor(String user, String address, Instant at) {
    }

    private final BundleContext context;
    private final Path file;
    private final Clock clock = Clock.systemUTC();
    private final Map<String, Map<String, Object>> snapshots = new ConcurrentHashMap<>();
    private volatile Actor actor;
    private OutputStream out;
    /** Configuration changes, read in batches: thousands of files dropped into conf/ at once stay linear. */
    private final ConfigBatches configChanges;

    @Activate
    public AuditLog(BundleContext context, @Reference ConfigurationAdmin configAdmin) throws IOException {
        this.context = context;
        this.file = Layout.of(context).logs().resolve(FILE);
        Files.createDirectories(file.getParent());
        if (!Files.exists(file) && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        try {
            ConfigBatches.properties(configAdmin.listConfigurations(null))
                    .forEach((pid, properties) -> snapshots.put(pid, copy(properties)));
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("a null filter is valid", e);
        }
        configChanges = new ConfigBatches(configAdmin, null, "pm500-audit", this::changed, LOG);
        context.addBundleListener(this);
    }

    @Deactivate
    void deactivate() throws IOException, InterruptedException {
        context.removeBundleListener(this);
        configChanges.close();
        synchronized (this) {
            out.close();
        }
    }

    /** A state-changing console request: the configuration and bundle changes that follow are this user's. */
    void consoleRequest(String user, String address) {
        actor = new Actor(user, address, clock.instant());
    }

    /** An event with no request of its own (e.g. a password changed through configuration), attributed as above. */
    void change(String action, String target) {
        Source source = source(null);
        record(source.user(), source.address(), action, target, null);
    }

    /** One event, written at once. */
    synchronized void record(String user, String address, String action, String target,
            Map<String, Object> changes) {
        ObjectNode line = JSON.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("user", user);
        line.put("address", address);
        line.put("action", action);
        line.put("target", target);
        if (changes != null && !changes.isEmpty()) {
            line.set("changes", JSON.valueToTree(changes));
        }
        try {
            out.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            LOG.error("Audit log {}: cannot append ({}); event {} {} by {} not recorded", file, e.toString(), action,
                    target, user);
        }
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        configChanges.event(event);
    }

    /** A batch of changed configurations, with their properties now (null: deleted), recorded in order. */
    private void changed(Map<String, Dictionary<String, Object>> batch) {
        batch.forEach((pid, properties) -> {
            Map<String, Object> before = snapshots.getOrDefault(pid, Map.of());
            Map<String, Object> after;
            String action;
            if (properties == null) {
                after = Map.of();
                snapshots.remove(pid);
                action = "configuration.delete";
            } else {
                after = copy(properties);
                snapshots.put(pid, after);
                action = before.isEmpty() ? "configuration.create" : "configuration.update";
            }
            Map<String, Object> changes = changes(before, after);
            if (changes.isEmpty() && !action.equals("configuration.delete")) {
                return;
            }
            Object fileName = (after.isEmpty() ? before : after).get(ConfigStore.FILENAME);
            Source source = source(fileName == null ? null : "conf/" + Path.of(fileName.toString()).getFileName());
            record(source.user(), source.address(), action, pid, changes);
        });
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        String action = switch (event.getType()) {
            case BundleEvent.INSTALLED -> "bundle.install";
            case BundleEvent.UPDATED -> "bundle.update";
            case BundleEvent.STARTED -> "bundle.start";
            case BundleEvent.STOPPED -> "bundle.stop";
            case BundleEvent.UNINSTALLED -> "bundle.uninstall";
            default -> null;
        };
        if (action == null || !running()) {
            return; // the gateway starting or stopping: not anyone's change
        }
        Bundle b = event.getBundle();
        String location = b.getLocation();
        int deploy = location.indexOf("/deploy/");
        Source source = source(deploy >= 0 ? location.substring(deploy + 1) : null);
        record(source.user(), source.address(), action, b.getSymbolicName() + " " + b.getVersion(), null);
    }

    private record Source(String user, String address) {
    }

    /** Started (the bnd launcher's ready mark is up) and not stopping. */
    private boolean running() {
        try {
            return context.getBundle(0).getState() == Bundle.ACTIVE
                    && context.getAllServiceReferences(null, LAUNCHER_READY) != null;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("the filter is constant and valid", e);
        }
    }

    private Source source(String file) {
        Actor a = actor;
        if (a != null && clock.instant().toEpochMilli() - a.at().toEpochMilli() <= ATTRIBUTION_MILLIS) {
            return new Source(a.user(), a.address());
        }
        return new Source(file != null ? file : "gateway", "");
    }


    private static Map<String, Object> copy(Dictionary<String, Object> properties) {
        Map<String, Object> m = new TreeMap<>();
        if (properties != null) {
            for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                Object v = properties.get(k);
                m.put(k, v instanceof Object[] a ? Arrays.asList(a) : v);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** {@code {key: [old, new]}} for each key whose value differs; secrets masked, bookkeeping keys left out. */
    static Map<String, Object> changes(Map<String, Object> before, Map<String, Object> after) {
        Map<String, Object> changes = new TreeMap<>();
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        for (String key : keys) {
            if (key.startsWith("service.") || key.equals(ConfigStore.FILENAME)) {
                continue;
            }
            Object old = before.get(key);
            Object now = after.get(key);
            if (!Objects.equals(String.valueOf(old), String.valueOf(now))) {
                changes.put(key, secret(key) ? Arrays.asList(old == null ? null : MASK,
                        now == null ? null : MASK) : Arrays.asList(old, now));
            }
        }
        return changes;
    }

    /** Private properties (leading dot) are the gateway's secrets; other names are masked by what they say. */
    static boolean secret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return key.startsWith(".") || k.contains("password") || k.contains("token") || k.contains("secret");
    }
}
