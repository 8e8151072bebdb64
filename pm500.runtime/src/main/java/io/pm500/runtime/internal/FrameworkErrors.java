package io.pm500.runtime.internal;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The framework's errors and warnings (a bundle that fails to start or update, a failed refresh) into the gateway's
 * log: Felix itself prints them to standard output only, where an operator reading {@code logs/pm500.log} never
 * sees them.
 */
@Component(immediate = true, service = {})
public final class FrameworkErrors implements FrameworkListener {
    private static final Logger LOG = LoggerFactory.getLogger(FrameworkErrors.class);
    private final BundleContext context;

    @Activate
    public FrameworkErrors(BundleContext context) {
        this.context = context;
        context.addFrameworkListener(this);
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(this);
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        Bundle b = event.getBundle();
        String bundle = b.getBundleId() == 0 ? "the framework" : "bundle " + b.getSymbolicName() + " "
                + b.getVersion();
        if (event.getThrowable() instanceof ServiceException e && e.getType() == ServiceException.FACTORY_ERROR) {
            // a component that failed to activate: its own failure is logged, and listed at start-up
            LOG.debug("Service of a component that is not active requested by {}: {}", bundle, e.getMessage());
        } else if (event.getType() == FrameworkEvent.ERROR) {
            LOG.error("Framework error in {}: {}", bundle, String.valueOf(event.getThrowable()),
                    event.getThrowable());
        } else if (event.getType() == FrameworkEvent.WARNING) {
            LOG.warn("Framework warning for {}: {}", bundle, String.valueOf(event.getThrowable()));
        }
    }
}
