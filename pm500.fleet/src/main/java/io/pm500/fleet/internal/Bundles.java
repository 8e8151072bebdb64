package io.pm500.fleet.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The gateway's bundles as the agent sees them: which it manages, where each installed copy came from, and the
 * installs, updates and refreshes that change them. Through the system bundle's context only (see {@link Updater}).
 */
final class Bundles {
    /** Location prefix of bundles the agent installed (features); {@link FleetState#FACTORY} marks the jar's. */
    static final String LOCATION = "pm500-fleet:";
    /** The jar's copies never change while the JVM runs: each is hashed once. */
    private static final Map<String, String> FACTORY_SHA = new ConcurrentHashMap<>();

    private final BundleContext system;
    private final String self;
    private final Path artifacts;

    /**
     * @param self      the agent's symbolic name: the agent is never replaced by itself
     * @param artifacts where downloaded artifacts are kept, as {@code <sha256>.jar}
     */
    Bundles(BundleContext system, String self, Path artifacts) {
        this.system = system;
        this.self = self;
        this.artifacts = artifacts;
    }

    List<Bundle> all() {
        return List.of(system.getBundles());
    }

    String self() {
        return self;
    }

    /** The jar's bundles and the agent's; not the framework, not bundles from deploy/ (FileInstall's). */
    boolean managed(Bundle b) {
        return b.getBundleId() != 0 && b.getSymbolicName() != null && !b.getSymbolicName().equals(self)
                && (installedByAgent(b) || ClassLoader.getSystemClassLoader().getResource(b.getLocation()) != null);
    }

    static boolean installedByAgent(Bundle b) {
        return b.getLocation().startsWith(LOCATION);
    }

    static boolean fragment(Bundle b) {
        return (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** The installed bundle of this symbolic name, or {@code null}. */
    Bundle find(String identity) {
        for (Bundle b : system.getBundles()) {
            if (identity.equals(b.getSymbolicName()) && b.getBundleId() != 0) {
                return b;
            }
        }
        return null;
    }

    /** The SHA-256 of what is installed: the agent's artifact, or the jar's copy. */
    String sha256(FleetState state, Bundle b) throws IOException {
        String source = source(state, b);
        if (!source.startsWith(FleetState.FACTORY)) {
            return source;
        }
        String location = b.getLocation();
        String known = FACTORY_SHA.get(location);
        if (known != null) {
            return known;
        }
        String sha;
        try (InputStream in = ClassLoader.getSystemClassLoader().getResourceAsStream(location)) {
            if (in == null) {
                return "";
            }
            sha = Repository.sha256(in);
        }
        FACTORY_SHA.put(location, sha);
        return sha;
    }

    /** Where the installed copy came from: the agent's artifact while it is the one the agent put there. */
    String source(FleetState state, Bundle b) {
        String installed = state.installed.get(b.getSymbolicName());
        Long modified = state.modified.get(b.getSymbolicName());
        return installed != null && modified != null && modified == b.getLastModified() ? installed
                : FleetState.FACTORY + b.getLocation();
    }

    /** Installs or updates a bundle from a downloaded file; the jar's bundles keep their location (the launcher's). */
    Bundle put(String identity, Path artifact) throws BundleException, IOException {
        return put(identity, Files.newInputStream(artifact));
    }

    /**
     * Puts back the copy a {@link #source} named ({@link FleetState#ABSENT}: uninstalls the bundle, giving
     * {@code null}).
     */
    Bundle restore(String identity, String source) throws BundleException, IOException {
        if (source.equals(FleetState.ABSENT)) {
            Bundle b = find(identity);
            if (b != null) {
                b.uninstall();
            }
            return null;
        }
        InputStream in = source.startsWith(FleetState.FACTORY)
                ? ClassLoader.getSystemClassLoader().getResourceAsStream(source.substring(FleetState.FACTORY.length()))
                : Files.newInputStream(artifacts.resolve(source + ".jar"));
        if (in == null) {
            throw new IOException("the gateway jar no longer carries " + source);
        }
        return put(identity, in);
    }

    private Bundle put(String identity, InputStream content) throws BundleException, IOException {
        try (InputStream in = content) {
            Bundle b = find(identity);
            if (b == null) {
                return system.installBundle(LOCATION + identity, in);
            }
            b.update(in);
            return b;
        }
    }

    /** Refreshes the framework (what was updated or uninstalled goes) and starts what was put in place. */
    void refreshAndStart(Collection<Bundle> touched) throws BundleException, InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        system.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(null, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        if (!done.await(5, TimeUnit.MINUTES)) {
            throw new BundleException("the framework did not finish refreshing within 5 minutes");
        }
        for (Bundle b : touched) {
            if (b.getState() != Bundle.UNINSTALLED && !fragment(b)) {
                b.start();
            }
        }
    }
}
