package io.pm500.runtime.internal;

import java.time.Duration;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the framework when the JVM is asked to exit (SIGTERM, Ctrl-C): the launcher does not, so without this
 * hook no bundle would close its connections or flush its state. Waits at most {@link #TIMEOUT}.
 */
@Component(immediate = true, service = {})
public final class GracefulShutdown {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);

    /** Framework property: {@code false} where the embedding launcher stops the framework itself. */
    static final String ENABLED = "pm500.shutdown.hook";

    private final Thread hook;

    @Activate
    public GracefulShutdown(BundleContext context) {
        Bundle system = context.getBundle(0);
        if ("false".equalsIgnoreCase(context.getProperty(ENABLED))) {
            hook = null;
            return;
        }
        hook = new Thread(() -> stop(system), "pm500-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private static void stop(Bundle system) {
        LOG.info("Shutdown requested: stopping all bundles (at most {} s)", TIMEOUT.toSeconds());
        long start = System.nanoTime();
        try {
            system.stop();
            if (system instanceof Framework framework) {
                FrameworkEvent event = framework.waitForStop(TIMEOUT.toMillis());
                if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                    System.err.println("PM500: bundles did not stop within " + TIMEOUT.toSeconds() + " s; exiting");
                    return;
                }
            }
            // Logging is gone by now: the logging bundles stopped with the rest.
            System.err.printf("PM500: stopped cleanly in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        } catch (BundleException e) {
            System.err.println("PM500: framework stop failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Deactivate
    void deactivate() {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: this very hook is what stopped us.
        }
    }
}
