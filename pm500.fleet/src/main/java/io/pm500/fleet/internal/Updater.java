package io.pm500.fleet.internal;

import io.pm500.fleet.internal.HealthGate.Health;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.resolver.ResolutionException;
import org.osgi.service.resolver.Resolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of the fleet agent: read the channel's signed index, resolve what the gateway needs against it, download
 * and verify what changed (staged), and — inside the maintenance window — apply it (bundle updates, installs and
 * uninstalls, one refresh), gate on health, and roll back to the bundle set before it when the gate fails.
 *
 * <p>Works through the system bundle's context only: an update may refresh this bundle itself (it imports the API
 * and the kit), and the pass must finish — gate and rollback included — on its old class loader. A file lock on
 * {@code <data>/fleet/lock} keeps a second pass (the agent re-activated by that refresh) away until it ends.
 */
final class Updater {
    private static final Logger LOG = LoggerFactory.getLogger(Updater.class);

    private final BundleContext system;
    private final Path dir;
    private final Bundles bundles;
    private final HealthGate health;
    private final Bundle selfBundle;
    /** This agent's class space: a refresh that replaces it ends what this agent may do (see {@link #apply}). */
    private final BundleWiring selfWiring;
    private static final String JVM = ProcessHandle.current().pid() + "@"
            + ProcessHandle.current().info().startInstant().map(Object::toString).orElse("");

    /** What one pass is told to do. */
    record Settings(List<Repository> repositories, PublicKey key, Collection<String> features, boolean inWindow,
            Duration gate) {
    }

    Updater(BundleContext system, Path dir, Bundle self) {
        this.system = system;
        this.dir = dir;
        this.bundles = new Bundles(system, self.getSymbolicName(), dir.resolve("artifacts"));
        this.health = new HealthGate(system, bundles);
        this.selfBundle = self;
        this.selfWiring = self.adapt(BundleWiring.class);
    }

    /** One pass; {@code false} when another pass holds the lock. */
    boolean pass(Settings settings) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        try (FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // a pass of this gateway is under way
            }
            if (lock == null) {
                return false;
            }
            try {
                locked(settings);
            } finally {
                lock.release();
            }
            return true;
        }
    }

    private void locked(Settings settings) throws IOException, InterruptedException {
        FleetState state = FleetState.load(dir.resolve("state.properties"));
        if (state.phase == FleetState.Phase.GATING && state.owner.equals(JVM)) {
            resumeGate(state);
            return;
        }
        if (state.phase != FleetState.Phase.IDLE) {
            // the gateway stopped while applying: the set it left is not known to be good
            rollback(state, state.applying, "the gateway stopped while release " + state.applying + " was being "
                    + (state.phase == FleetState.Phase.APPLYING ? "applied" : "gated"), null);
            return;
        }
        RepositoryIndex index = read(settings);
        Set<String> features = new TreeSet<>(settings.features());
        if (index.increment() < state.current || state.failed.contains(index.increment())
                || (index.increment() == state.current && features.equals(state.features))) {
            return;
        }
        Map<String, IndexResource> set;
        try {
            set = ReleaseResolution.resolve(resolver(), index, systemRevision(),
                    ReleasePlan.needed(bundles, index, features));
        } catch (ResolutionException e) {
            refuse(state, index, "it does not resolve: " + e.getMessage());
            return;
        }
        ReleasePlan plan = ReleasePlan.of(bundles, state, set);
        if (plan.isEmpty()) {
            LOG.info("Fleet: release {} ({}) changes nothing on this gateway", index.increment(), index.name());
            applied(state, index.increment(), index.name(), features);
            return;
        }
        Map<String, Path> artifacts = new LinkedHashMap<>();
        for (IndexResource r : plan.changes()) {
            try {
                artifacts.put(r.identity(), repository(settings, index).download(r, dir.resolve("artifacts")));
            } catch (Repository.NotWhatTheIndexSays e) {
                refuse(state, index, e.getMessage());
                return;
            } // any other failure (the network, a full disk) is tried again at the next poll
        }
        if (state.staged != index.increment()) {
            state.staged = index.increment();
            state.store();
            LOG.info("Fleet: release {} ({}) staged: {}", index.increment(), index.name(), plan);
        }
        if (!settings.inWindow()) {
            return;
        }
        apply(state, index, plan, artifacts, settings.gate(), features);
    }

    /** The release is the gateway's now, and the one a later rollback returns to. */
    private static void applied(FleetState state, long release, String name, Set<String> features)
            throws IOException {
        state.phase = FleetState.Phase.IDLE;
        state.current = release;
        state.currentName = name;
        state.lastGood = release;
        state.features.clear();
        state.features.addAll(features);
        state.previous.clear();
        state.store();
    }

    private RepositoryIndex read(Settings settings) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        for (Repository repository : settings.repositories()) {
            try {
                return repository.read(settings.key());
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        throw new FleetException("no repository answered with a signed index: " + String.join("; ", problems));
    }

    private static Repository repository(Settings settings, RepositoryIndex index) {
        return settings.repositories().stream().filter(r -> r.index().equals(index.location())).findFirst()
                .orElseThrow();
    }

    private void apply(FleetState state, RepositoryIndex index, ReleasePlan plan, Map<String, Path> artifacts,
            Duration gate, Set<String> features) throws IOException, InterruptedException {
        Health before = health.now().without(HealthGate.sinkNames(plan.removals()));
        state.previous.clear();
        for (IndexResource r : plan.changes()) {
            Bundle b = bundles.find(r.identity());
            state.previous.put(r.identity(), b == null ? FleetState.ABSENT : bundles.source(state, b));
        }
        for (Bundle b : plan.removals()) {
            state.previous.put(b.getSymbolicName(), bundles.source(state, b));
        }
        state.phase = FleetState.Phase.APPLYING;
        state.applying = index.increment();
        state.store();
        LOG.info("Fleet: applying release {} ({}): {}", index.increment(), index.name(), plan);
        Set<Bundle> touched = new LinkedHashSet<>();
        try {
            for (IndexResource r : plan.changes()) {
                Bundle b = bundles.put(r.identity(), artifacts.get(r.identity()));
                touched.add(b);
                state.installed.put(r.identity(), r.sha256());
                state.modified.put(r.identity(), b.getLastModified());
            }
            for (Bundle b : plan.removals()) {
                b.uninstall();
                state.installed.remove(b.getSymbolicName());
                state.modified.remove(b.getSymbolicName());
            }
            bundles.refreshAndStart(touched);
        } catch (BundleException | IOException e) {
            rollback(state, index.increment(), "applying it failed: " + e.getMessage(), before);
            return;
        }
        state.phase = FleetState.Phase.GATING;
        state.owner = JVM;
        state.gateDeadline = System.currentTimeMillis() + gate.toMillis();
        state.gateSeconds = gate.toSeconds();
        state.gateMeters.clear();
        state.gateMeters.addAll(before.meters());
        state.gateSinks.clear();
        state.gateSinks.addAll(before.sinks());
        state.gateBroken.clear();
        state.gateBroken.addAll(before.brokenComponents());
        state.pendingFeatures.clear();
        state.pendingFeatures.addAll(features);
        state.pendingName = index.name();
        state.store();
        if (replaced()) {
            // the refresh replaced this agent (the release changed a bundle it uses): the status services now
            // speak the new classes, so the new agent's first pass runs the gate (the state says where it is)
            LOG.info("Fleet: release {} applied; the agent restarted with it and takes over the health gate",
                    index.increment());
            return;
        }
        gate(state);
    }

    /** The gate of a release this JVM applied, run by the agent that a refresh put in place of the applying one. */
    private void resumeGate(FleetState state) throws IOException, InterruptedException {
        LOG.info("Fleet: taking over the health gate of release {}", state.applying);
        gate(state);
    }

    private void gate(FleetState state) throws IOException, InterruptedException {
        Health before = new Health(Set.of(), state.gateBroken, state.gateMeters, state.gateSinks);
        long release = state.applying;
        // what is left of the gate, at least a few seconds for an agent that took it over late
        Duration left = Duration.ofMillis(Math.max(3000, state.gateDeadline - System.currentTimeMillis()));
        String problem = health.await(before, left);
        if (problem != null) {
            rollback(state, release, "its health gate failed after " + state.gateSeconds + " s: " + problem, before);
            return;
        }
        applied(state, release, state.pendingName, Set.copyOf(state.pendingFeatures));
        LOG.info("Fleet: release {} ({}) applied and healthy", release, state.currentName);
    }

    /** Whether a refresh has replaced this agent's class space (its wiring) since it was made. */
    private boolean replaced() {
        return selfBundle.getState() == Bundle.UNINSTALLED || selfWiring == null || !selfWiring.isCurrent();
    }

    private void rollback(FleetState state, long release, String reason, Health before)
            throws IOException, InterruptedException {
        LOG.error("Fleet: release {} rolled back: {}", release, reason);
        Set<Bundle> touched = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : state.previous.entrySet()) {
            try {
                Bundle b = bundles.restore(e.getKey(), e.getValue());
                if (b != null) {
                    touched.add(b);
                }
                if (b == null || e.getValue().startsWith(FleetState.FACTORY)) {
                    state.installed.remove(e.getKey());
                    state.modified.remove(e.getKey());
                } else {
                    state.installed.put(e.getKey(), e.getValue());
                    state.modified.put(e.getKey(), b.getLastModified());
                }
            } catch (BundleException | IOException ex) {
                problems.add(e.getKey() + ": " + ex.getMessage());
            }
        }
        try {
            bundles.refreshAndStart(touched);
        } catch (BundleException ex) {
            problems.add(ex.getMessage());
        }
        // after a refresh that replaced this agent its status classes are not the services' any more: the new agent
        // and the status page report the health
        String after = before == null || replaced() ? null : health.await(before, Duration.ofSeconds(60));
        if (!problems.isEmpty() || after != null) {
            LOG.error("Fleet: the rollback of release {} left problems: {}{}", release, problems,
                    after == null ? "" : "; " + after);
        } else {
            LOG.info("Fleet: rolled back to release {}; healthy again", state.lastGood);
        }
        state.phase = FleetState.Phase.IDLE;
        state.failed.add(release);
        state.failureRelease = release;
        state.failureTime = Instant.now();
        state.failureReason = reason;
        state.previous.clear();
        state.store();
    }

    private void refuse(FleetState state, RepositoryIndex index, String reason) throws IOException {
        LOG.error("Fleet: release {} ({}) from {} refused: {}", index.increment(), index.name(), index.location(),
                reason);
        state.failed.add(index.increment());
        state.failureRelease = index.increment();
        state.failureTime = Instant.now();
        state.failureReason = reason;
        state.store();
    }

    private BundleRevision systemRevision() {
        return system.getBundle(0).adapt(BundleRevision.class);
    }

    private Resolver resolver() {
        ServiceReference<Resolver> ref = system.getServiceReference(Resolver.class);
        if (ref == null) {
            throw new FleetException("no OSGi Resolver service: the gateway runs without org.apache.felix.resolver");
        }
        return system.getService(ref);
    }

    /** A fault of the whole pass (no repository answered, no resolver), logged by the agent. */
    static final class FleetException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        FleetException(String message) {
            super(message);
        }
    }
}
