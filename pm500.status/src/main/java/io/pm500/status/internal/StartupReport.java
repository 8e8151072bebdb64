package io.pm500.status.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.osgi.framework.AllServiceListener;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, once the framework has started, one line per component group (drivers, enrichment, sinks, gateway,
 * platform), every component that is not active and every refused configuration and why, and the Web Console URL (or
 * why there is none).
 */
@Component(immediate = true, service = {})
public final class StartupReport implements FrameworkListener, AllServiceListener {
    static final String CONSOLE_PATH = "/system/console";
    private static final Logger LOG = LoggerFactory.getLogger(StartupReport.class);

    private static final String LAUNCHER_READY = "(launcher.ready=true)";
    private final AtomicBoolean reported = new AtomicBoolean();
    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    private final Snapshots snapshots;
    /** Absent when Jetty could not start (e.g. its port is taken): the gateway runs and says why. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceReference<HttpServiceRuntime> http;

    @Activate
    public StartupReport(BundleContext context, @Reference ServiceComponentRuntime scr,
            @Reference Snapshots snapshots) throws InvalidSyntaxException {
        this.context = context;
        this.scr = scr;
        this.snapshots = snapshots;
        // The bnd launcher marks its service launcher.ready=true once every bundle is started; other launchers
        // send STARTED after their start level is reached.
        context.addServiceListener(this, LAUNCHER_READY);
        context.addFrameworkListener(this);
        if (context.getAllServiceReferences(null, LAUNCHER_READY) != null) {
            reportOnce(); // this bundle was (re)started after the gateway had started
        }
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        reportOnce();
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTED) {
            reportOnce();
        }
    }

    @Deactivate
    void deactivate() {
        context.removeServiceListener(this);
        context.removeFrameworkListener(this);
        if (context.getBundle(0).getState() == Bundle.STOPPING) {
            LOG.info("PM500 gateway stopping");
        }
    }

    private void reportOnce() {
        if (reported.compareAndSet(false, true)) {
            report();
        }
    }

    private void report() {
        long sinceJvmStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        LOG.info("PM500 gateway {} started in {} ms (Felix {}, Java {})", context.getBundle().getVersion(),
                sinceJvmStart, context.getBundle(0).getVersion(), Runtime.version().feature());
        Map<ComponentGroup, GroupCount> groups = new EnumMap<>(ComponentGroup.class);
        for (Bundle bundle : context.getBundles()) {
            groups.computeIfAbsent(ComponentGroup.of(bundle.getSymbolicName()), g -> new GroupCount()).add(bundle);
        }
        List<String> inactive = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            Bundle bundle = context.getBundle(description.bundle.id);
            GroupCount group = groups.get(ComponentGroup.of(bundle == null ? null : bundle.getSymbolicName()));
            var configurations = scr.getComponentConfigurationDTOs(description);
            if (configurations.isEmpty() && "require".equals(description.configurationPolicy)) {
                group.awaitingConfiguration++; // e.g. a driver with no meter configured yet: nothing is wrong
                continue;
            }
            group.components++;
            boolean active = false;
            for (ComponentConfigurationDTO configuration : configurations) {
                if (configuration.state == ComponentConfigurationDTO.ACTIVE
                        || configuration.state == ComponentConfigurationDTO.SATISFIED) {
                    active = true;
                } else {
                    inactive.add(description.name + " (" + Components.whyNotActive(configuration) + ")");
                }
            }
            if (active || !description.defaultEnabled) {
                group.activeComponents++;
            }
        }
        groups.forEach((group, count) -> LOG.info("  {}: {}/{} bundles active, {}/{} components active{}{}",
                group.label(), count.activeBundles, count.bundles, count.activeComponents, count.components,
                count.awaitingConfiguration == 0 ? "" : ", " + count.awaitingConfiguration + " awaiting configuration",
                count.names.isEmpty() || group == ComponentGroup.PLATFORM ? "" : " " + count.names));
        // those Config Admin has handed over by now: it hands them on its own thread
        snapshots.refusedConfigurations().forEach(r -> inactive.add(r.factory() + " (" + r.reason() + ")"));
        inactive.forEach(c -> LOG.warn("  component not active: {}", c));
        // the field is injected after the constructor, which reports when this bundle was restarted (a refresh)
        ServiceReference<HttpServiceRuntime> runtime = http != null ? http
                : context.getServiceReference(HttpServiceRuntime.class);
        if (runtime == null) {
            LOG.error("Web Console: not available: {}", whyNoHttp());
        } else {
            LOG.info("Web Console: {}", consoleUrl(runtime));
        }
    }

    /** Jetty logs its own stack trace; this says what it means and what to do. */
    private String whyNoHttp() {
        String host = Objects.requireNonNullElse(context.getProperty("org.apache.felix.http.host"), "0.0.0.0");
        String port = Objects.requireNonNullElse(context.getProperty("org.osgi.service.http.port"), "8080");
        String change = "give the gateway another port: java -Dorg.osgi.service.http.port=<port> -jar"
                + " pm500-gateway.jar (./pm500 demo --console-port <port>), or org.osgi.service.http.port in"
                + " conf/org.apache.felix.http.cfg";
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, Integer.parseInt(port.trim())));
        } catch (BindException e) {
            return "port " + port + " on " + host + " is in use by another program; stop it, or " + change;
        } catch (IOException | IllegalArgumentException e) {
            return "the HTTP server could not start on " + host + ":" + port + " (" + e.getMessage() + "); " + change;
        }
        return "the HTTP server did not start on " + host + ":" + port + " (see the org.apache.felix.http errors"
                + " above); " + change;
    }

    private static String consoleUrl(ServiceReference<HttpServiceRuntime> http) {
        // Read at report time: Jetty updates the endpoint property once its connector is bound.
        Object endpoint = http.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        String first = endpoint instanceof String[] all ? (all.length > 0 ? all[0] : "")
                : endpoint == null ? "" : endpoint.toString();
        if (first.isEmpty()) {
            return "(no HTTP endpoint: check org.osgi.service.http.port)";
        }
        return (first.endsWith("/") ? first.substring(0, first.length() - 1) : first) + CONSOLE_PATH;
    }

    private static final class GroupCount {
        int bundles;
        int activeBundles;
        int components;
        int activeComponents;
        int awaitingConfiguration;
        final TreeSet<String> names = new TreeSet<>();

        void add(Bundle bundle) {
            bundles++;
            if (bundle.getState() == Bundle.ACTIVE || bundle.getHeaders().get("Fragment-Host") != null) {
                activeBundles++;
            }
            names.add(bundle.getSymbolicName());
        }
    }
}
