package io.pm500.fleet.internal;

import io.pm500.api.sink.Sink;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * What "healthy" means to a release's gate, compared with before the release: every managed bundle active, no
 * component newly failing, every meter connected and every sink up before is so again — and stays so for a while.
 */
final class HealthGate {
    private final BundleContext system;
    private final Bundles bundles;

    HealthGate(BundleContext system, Bundles bundles) {
        this.system = system;
        this.bundles = bundles;
    }

    /** The gateway's health at one moment. */
    record Health(Set<String> notActive, Set<String> brokenComponents, Set<String> meters, Set<String> sinks) {
        /** The same, not expecting these sinks back (their bundles are being removed; their outboxes keep waiting). */
        Health without(Set<String> goneSinks) {
            Set<String> kept = new TreeSet<>(sinks);
            kept.removeAll(goneSinks);
            return new Health(notActive, brokenComponents, meters, kept);
        }
    }

    Health now() {
        Set<String> notActive = new TreeSet<>();
        for (Bundle b : bundles.all()) {
            boolean lazy = b.getState() == Bundle.STARTING
                    && Constants.ACTIVATION_LAZY.equals(b.getHeaders().get(Constants.BUNDLE_ACTIVATIONPOLICY));
            if (!Bundles.fragment(b) && b.getState() != Bundle.ACTIVE && !lazy && bundles.managed(b)) {
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

    /** The {@code sink.name} of every sink service these bundles register. */
    static Set<String> sinkNames(Collection<Bundle> bundles) {
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

    /**
     * Waits until every bundle is active, no component broke and every meter and sink up before is up again, and
     * stays so for a third of the gate (at most 10 s): a sink that registers and then fails is caught.
     *
     * @return {@code null} when healthy, else what is not
     */
    String await(Health before, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long settle = Math.min(TimeUnit.SECONDS.toNanos(10), timeout.toNanos() / 3);
        long healthySince = 0;
        String problem;
        do {
            problem = problems(before, now());
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

    private static String problems(Health before, Health now) {
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
        return problems.isEmpty() ? null : String.join("; ", problems);
    }
}
