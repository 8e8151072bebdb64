package io.pm500.fleet.internal;

import io.pm500.api.sink.Sink;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
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
    /** Location prefix of bundles the agent installed (features); {@link FleetState#FACTORY} marks the jar's. */
    static final String LOCATION = "pm500-fleet:";
    private static final Logger LOG = LoggerFactory.getLogger(Updater.class);
    private static final Map<String, String> FACTORY_SHA = new ConcurrentHashMap<>();

    private final BundleContext system;
    private final Path dir;
    private final String self;
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
        this.self = self.getSymbolicName();
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
            set = ReleaseResolution.resolve(resolver(), index, systemRevision(), needed(index, features));
        } catch (ResolutionException e) {
            refuse(state, index, "it does not resolve: " + e.getMessage());
            return;
        }
        Plan plan = plan(state, set);
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

    /**
     * What the release must provide: the features, and every bundle the gateway runs that the release carries (a
     * bundle it does not carry, like the demo's simulator, is left as it is; bundles dropped into deploy/ are
     * FileInstall's and the agent is not replaced by itself).
     */
    private Set<String> needed(RepositoryIndex index, Collection<String> features) {
        Set<String> carried = new TreeSet<>();
        index.resources().stream().map(IndexResource::identity).filter(id -> id != null).forEach(carried::add);
        Set<String> ids = new TreeSet<>(features);
        for (Bundle b : system.getBundles()) {
            if (managed(b) && carried.contains(b.getSymbolicName())) {
                ids.add(b.getSymbolicName());
            }
        }
        // a feature removed from the configuration is left out, so its bundle is uninstalled
        for (Bundle b : system.getBundles()) {
            if (b.getLocation().startsWith(LOCATION) && !features.contains(b.getSymbolicName())) {
                ids.remove(b.getSymbolicName());
            }
        }
        return ids;
    }

    /** The jar's bundles and the agent's; not the framework, not bundles from deploy/ (FileInstall's). */
    private boolean managed(Bundle b) {
        return b.getBundleId() != 0 && b.getSymbolicName() != null && !b.getSymbolicName().equals(self)
                && (b.getLocation().startsWith(LOCATION) || factoryBytes(b.getLocation()));
    }

    private static boolean factoryBytes(String location) {
        return ClassLoader.getSystemClassLoader().getResource(location) != null;
    }

    /** Updates, installs and uninstalls that take the gateway to the resolved set. */
    record Plan(List<IndexResource> changes, List<Bundle> removals) {
        boolean isEmpty() {
            return changes.isEmpty() && removals.isEmpty();
        }

        @Override
        public String toString() {
            return changes.stream().map(IndexResource::toString).toList()
                    + (removals.isEmpty() ? "" : ", uninstall " + removals.stream().map(Bundle::getSymbolicName)
                            .toList());
        }
    }

    private Plan plan(FleetState state, Map<String, IndexResource> set) throws IOException {
        List<IndexResource> changes = new ArrayList<>();
        for (IndexResource r : set.values()) {
            if (r.identity().equals(self)) {
                LOG.info("Fleet: {} changes only with a new package (the agent does not replace itself)", r);
                continue;
            }
            Bundle installed = bundle(r.identity());
            if (installed == null) {
                changes.add(r);
            } else if (!sha256(state, installed).equals(r.sha256())) {
                if (r.version().compareTo(installed.getVersion()) < 0) {
                    LOG.info("Fleet: keeping {} {}: the release has the older {}", r.identity(),
                            installed.getVersion(), r.version());
                } else {
                    changes.add(r);
                }
            }
        }
        List<Bundle> removals = new ArrayList<>();
        for (Bundle b : system.getBundles()) {
            if (b.getLocation().startsWith(LOCATION) && !set.containsKey(b.getSymbolicName())) {
                removals.add(b);
            }
        }
        return new Plan(changes, removals);
    }

    private Bundle bundle(String identity) {
        for (Bundle b : system.getBundles()) {
            if (identity.equals(b.getSymbolicName()) && b.getBundleId() != 0) {
                return b;
            }
        }
        return null;
    }

    /** The SHA-256 of what is installed: the agent's artifact, or the jar's copy. */
    private String sha256(FleetState state, Bundle b) throws IOException {
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
    private String source(FleetState state, Bundle b) {
        String installed = state.installed.get(b.getSymbolicName());
        Long modified = state.modified.get(b.getSymbolicName());
        return installed != null && modified != null && modified == b.getLastModified() ? installed
                : FleetState.FACTORY + b.getLocation();
    }

    private void apply(FleetState state, RepositoryIndex index, Plan plan, Map<String, Path> artifacts,
            Duration gate, Set<String> features) throws IOException, InterruptedException {
        Health now = health();
        // a sink whose bundle the release removes is not expected back (its outbox keeps its readings)
        Set<String> sinks = new TreeSet<>(now.sinks());
        sinks.removeAll(sinkNames(plan.removals()));
        Health before = new Health(now.notActive(), now.brokenComponents(), now.meters(), sinks);
        state.previous.clear();
        for (IndexResource r : plan.changes()) {
            Bundle b = bundle(r.identity());
            state.previous.put(r.identity(), b == null ? FleetState.ABSENT : source(state, b));
        }
        for (Bundle b : plan.removals()) {
            state.previous.put(b.getSymbolicName(), source(state, b));
        }
        state.phase = FleetState.Phase.APPLYING;
        state.applying = index.increment();
        state.store();
        LOG.info("Fleet: applying release {} ({}): {}", index.increment(), index.name(), plan);
        Set<Bundle> touched = new LinkedHashSet<>();
        try {
            for (IndexResource r : plan.changes()) {
                Bundle b = put(r.identity(), artifacts.get(r.identity()));
                touched.add(b);
                state.installed.put(r.identity(), r.sha256());
                state.modified.put(r.identity(), b.getLastModified());
            }
            for (Bundle b : plan.removals()) {
                b.uninstall();
                state.installed.remove(b.getSymbolicName());
                state.modified.remove(b.getSymbolicName());
            }
            refreshAndStart(touched);
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
        String problem = awaitHealthy(before, left);
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

    /** Installs or updates one bundle from a file; the jar's bundles keep their location (the launcher's). */
    private Bundle put(String identity, Path artifact) throws BundleException, IOException {
        Bundle b = bundle(identity);
        try (InputStream in = Files.newInputStream(artifact)) {
            if (b == null) {
                return system.installBundle(LOCATION + identity, in);
            }
            b.update(in);
            return b;
        }
    }

    private void refreshAndStart(Collection<Bundle> touched) throws BundleException, InterruptedException {
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
            if (b.getState() != Bundle.UNINSTALLED && (b.adapt(BundleRevision.class).getTypes()
                    & BundleRevision.TYPE_FRAGMENT) == 0) {
                b.start();
            }
        }
    }

    private void rollback(FleetState state, long release, String reason, Health before)
            throws IOException, InterruptedException {
        LOG.error("Fleet: release {} rolled back: {}", release, reason);
        Set<Bundle> touched = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : state.previous.entrySet()) {
            try {
                Bundle b = restore(e.getKey(), e.getValue());
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
            refreshAndStart(touched);
        } catch (BundleException ex) {
            problems.add(ex.getMessage());
        }
        // after a refresh that replaced this agent its status classes are not the services' any more: the new agent
        // and the status page report the health
        String after = before == null || replaced() ? null : awaitHealthy(before, Duration.ofSeconds(60));
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

    private Bundle restore(String identity, String source) throws BundleException, IOException {
        Bundle b = bundle(identity);
        if (source.equals(FleetState.ABSENT)) {
            if (b != null) {
                b.uninstall();
            }
            return null;
        }
        InputStream in = source.startsWith(FleetState.FACTORY)
                ? ClassLoader.getSystemClassLoader().getResourceAsStream(source.substring(FleetState.FACTORY.length()))
                : Files.newInputStream(dir.resolve("artifacts").resolve(source + ".jar"));
        if (in == null) {
            throw new IOException("the gateway jar no longer carries " + source);
        }
        try (in) {
            if (b == null) {
                return system.installBundle(LOCATION + identity, in);
            }
            b.update(in);
            return b;
        }
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

    /** The {@code sink.name} of every sink service these bundles register. */
    private Set<String> sinkNames(Collection<Bundle> bundles) {
        Set<String> names = new TreeSet<>();
        for (Bundle b : bundles) {
            ServiceReference<?>[] refs = b.getRegisteredServices();
            for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                if (ref.getProperty(Sink.NAME) instanceof String name) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** What "healthy" means to the gate, compared with before the update. */
    record Health(Set<String> notActive, Set<String> brokenComponents, Set<String> meters, Set<String> sinks) {
    }

    private Health health() {
        Set<String> notActive = new TreeSet<>();
        for (Bundle b : system.getBundles()) {
            boolean fragment = (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            boolean lazy = b.getState() == Bundle.STARTING
                    && Constants.ACTIVATION_LAZY.equals(b.getHeaders().get(Constants.BUNDLE_ACTIVATIONPOLICY));
            if (b.getBundleId() != 0 && !fragment && b.getState() != Bundle.ACTIVE && !lazy && managed(b)) {
                notActive.add(b.getSymbolicName());
            }
        }
        Set<String> broken = new TreeSet<>();
        ServiceReference<ServiceComponentRuntime> scrRef = system.getServiceReference(ServiceComponentRuntime.class);
        if (scrRef != null) {
            ServiceComponentRuntime scr = system.getService(scrRef);
            try {
                for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                    for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                        if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION
                                || c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                            broken.add(d.name + (c.properties.get(Constants.SERVICE_PID) instanceof String pid
                                    ? " (" + pid + ")" : ""));
                        }
                    }
                }
            } finally {
                system.ungetService(scrRef);
            }
        } else {
            notActive.add("org.apache.felix.scr (no ServiceComponentRuntime)");
        }
        Set<String> meters = new TreeSet<>();
        Set<String> sinks = new TreeSet<>();
        try {
            for (ServiceReference<StatusSource> ref : system.getServiceReferences(StatusSource.class, null)) {
                StatusSource source = system.getService(ref);
                if (source == null) {
                    continue;
                }
                try {
                    for (MeterStatus m : source.meters()) {
                        if (m.state() == ConnectionState.CONNECTED) {
                            meters.add(m.meterId());
                        }
                    }
                    for (SinkStatus s : source.sinks()) {
                        if (s.state() == SinkState.UP) {
                            sinks.add(s.sinkName());
                        }
                    }
                } finally {
                    system.ungetService(ref);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("no filter was given", e);
        }
        return new Health(notActive, broken, meters, sinks);
    }

    /**
     * Waits until every bundle is active, no component broke and every meter and sink up before is up again, and
     * stays so for a third of the gate (at most 10 s): a sink that registers and then fails is caught.
     */
    private String awaitHealthy(Health before, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long settle = Math.min(TimeUnit.SECONDS.toNanos(10), timeout.toNanos() / 3);
        long healthySince = 0;
        String problem;
        do {
            Health now = health();
            List<String> problems = new ArrayList<>();
            if (!now.notActive().isEmpty()) {
                problems.add("bundles not active: " + now.notActive());
            }
            Set<String> broken = new TreeSet<>(now.brokenComponents());
            broken.removeAll(before.brokenComponents());
            if (!broken.isEmpty()) {
                problems.add("components failing: " + broken);
            }
            Set<String> meters = new TreeSet<>(before.meters());
            meters.removeAll(now.meters());
            if (!meters.isEmpty()) {
                problems.add("meters not connected again: " + meters);
            }
            Set<String> sinks = new TreeSet<>(before.sinks());
            sinks.removeAll(now.sinks());
            if (!sinks.isEmpty()) {
                problems.add("sinks not up again: " + sinks);
            }
            problem = problems.isEmpty() ? null : String.join("; ", problems);
            if (problem != null) {
                healthySince = 0;
            } else if (healthySince == 0) {
                healthySince = System.nanoTime();
            } else if (System.nanoTime() - healthySince >= settle) {
                return null;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return problem != null ? problem : "healthy only for the last moments of the gate";
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
