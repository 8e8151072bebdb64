package io.pm500.fleet.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.osgi.framework.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Updates, installs and uninstalls that take the gateway to a release's resolved set. */
record ReleasePlan(List<IndexResource> changes, List<Bundle> removals) {
    private static final Logger LOG = LoggerFactory.getLogger(ReleasePlan.class);

    /**
     * What the release must provide: the features, and every bundle the gateway runs that the release carries (a
     * bundle it does not carry, like the demo's simulator, is left as it is; bundles dropped into deploy/ are
     * FileInstall's and the agent is not replaced by itself).
     */
    static Set<String> needed(Bundles bundles, RepositoryIndex index, Collection<String> features) {
        Set<String> carried = new TreeSet<>();
        index.resources().stream().map(IndexResource::identity).filter(id -> id != null).forEach(carried::add);
        Set<String> ids = new TreeSet<>(features);
        for (Bundle b : bundles.all()) {
            if (bundles.managed(b) && carried.contains(b.getSymbolicName())) {
                ids.add(b.getSymbolicName());
            }
        }
        // a feature removed from the configuration is left out, so its bundle is uninstalled
        for (Bundle b : bundles.all()) {
            if (Bundles.installedByAgent(b) && !features.contains(b.getSymbolicName())) {
                ids.remove(b.getSymbolicName());
            }
        }
        return ids;
    }

    /** Every resolved bundle whose installed copy differs (never a downgrade), and the features no longer wanted. */
    static ReleasePlan of(Bundles bundles, FleetState state, Map<String, IndexResource> set) throws IOException {
        List<IndexResource> changes = new ArrayList<>();
        for (IndexResource r : set.values()) {
            if (r.identity().equals(bundles.self())) {
                LOG.info("Fleet: {} changes only with a new package (the agent does not replace itself)", r);
                continue;
            }
            Bundle installed = bundles.find(r.identity());
            if (installed == null) {
                changes.add(r);
            } else if (!bundles.sha256(state, installed).equals(r.sha256())) {
                if (r.version().compareTo(installed.getVersion()) < 0) {
                    LOG.info("Fleet: keeping {} {}: the release has the older {}", r.identity(),
                            installed.getVersion(), r.version());
                } else {
                    changes.add(r);
                }
            }
        }
        List<Bundle> removals = new ArrayList<>();
        for (Bundle b : bundles.all()) {
            if (Bundles.installedByAgent(b) && !set.containsKey(b.getSymbolicName())) {
                removals.add(b);
            }
        }
        return new ReleasePlan(changes, removals);
    }

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
