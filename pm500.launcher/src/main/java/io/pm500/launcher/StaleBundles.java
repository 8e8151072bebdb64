package io.pm500.launcher;

import java.util.Set;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Uninstalls the bundles an earlier gateway jar installed that this jar no longer has. bnd's launcher installs and
 * updates the jar's bundles (location {@code jar/<file>}) in the kept bundle cache, but never removes one a newer jar
 * dropped or renamed: after a package upgrade both would run (e.g. two HTTP services on one port). Bundles installed
 * any other way — the fleet agent's, {@code deploy/}'s, the console's — are left alone. Runs before the launcher
 * installs the jar's bundles and before any bundle starts, so it writes to standard output (the service's journal):
 * no logging runs yet.
 */
public final class StaleBundles implements BundleActivator {
    /** When bnd's launcher starts this activator: after the framework's init, before it touches any bundle. */
    public static final String IMMEDIATE = "AFTER_FRAMEWORK_INIT";
    private static final String JAR_LOCATION = "jar/";

    @Override
    public void start(BundleContext context) {
        String listed = context.getProperty("launch.bundles");
        if (!Boolean.parseBoolean(context.getProperty("launch.embedded")) || listed == null) {
            return; // not started from a gateway jar (e.g. bnd's test launcher): no jar, no stale bundles
        }
        Set<String> shipped = Set.of(listed.split(","));
        for (Bundle bundle : context.getBundles()) {
            String location = bundle.getLocation();
            if (location.startsWith(JAR_LOCATION) && !shipped.contains(location)) {
                uninstall(bundle);
            }
        }
    }

    private static void uninstall(Bundle bundle) {
        String name = bundle.getSymbolicName() + " " + bundle.getVersion() + " (" + bundle.getLocation() + ")";
        try {
            bundle.uninstall();
            System.out.println("PM500: uninstalled " + name + ": an earlier gateway jar installed it, this one has"
                    + " no such bundle");
        } catch (BundleException | IllegalStateException e) {
            System.out.println("PM500: could not uninstall " + name + ", which this gateway jar no longer has: " + e
                    + "; uninstall it in the Web Console (Bundles)");
        }
    }

    @Override
    public void stop(BundleContext context) {
        // nothing runs after start
    }
}
