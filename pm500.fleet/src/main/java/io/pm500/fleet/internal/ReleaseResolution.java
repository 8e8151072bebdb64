package io.pm500.fleet.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.resource.Capability;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;
import org.osgi.resource.Resource;
import org.osgi.resource.Wire;
import org.osgi.resource.Wiring;
import org.osgi.service.resolver.HostedCapability;
import org.osgi.service.resolver.ResolutionException;
import org.osgi.service.resolver.ResolveContext;
import org.osgi.service.resolver.Resolver;

/**
 * Resolves what the gateway needs (bundle identities) against one release's index with the OSGi Resolver, on top
 * of the running framework (the system bundle provides Java, the OSGi core packages, {@code osgi.ee}): the result is
 * a complete, consistent bundle set, or the reason there is none, before anything on the gateway is touched. Of
 * several versions of one bundle the highest wins. The result holds bundles and fragments only.
 */
final class ReleaseResolution {
    private ReleaseResolution() {
    }

    /** The index's resources of the resolved set, by identity. */
    static Map<String, IndexResource> resolve(Resolver resolver, RepositoryIndex index, BundleRevision system,
            Collection<String> identities) throws ResolutionException {
        Root root = new Root(identities);
        Map<Resource, List<Wire>> wires = resolver.resolve(new Context(index, system, root));
        Map<String, IndexResource> set = new LinkedHashMap<>();
        for (Resource r : wires.keySet()) {
            // bundles and fragments; not the synthetic resources bnd adds for a multi-release jar's Java versions
            if (r instanceof IndexResource resource && resource.identity() != null
                    && (resource.type().equals("osgi.bundle") || resource.type().equals("osgi.fragment"))) {
                set.put(resource.identity(), resource);
            }
        }
        return set;
    }

    /** A resource that requires each needed identity: what the Resolver must make resolvable. */
    private static final class Root implements Resource {
        private final List<Requirement> requirements = new ArrayList<>();

        Root(Collection<String> identities) {
            for (String id : identities) {
                requirements.add(new Requirement() {
                    @Override
                    public String getNamespace() {
                        return IndexResource.IDENTITY;
                    }

                    @Override
                    public Map<String, String> getDirectives() {
                        return Map.of(Namespace.REQUIREMENT_FILTER_DIRECTIVE, "(osgi.identity=" + id + ")");
                    }

                    @Override
                    public Map<String, Object> getAttributes() {
                        return Map.of();
                    }

                    @Override
                    public Resource getResource() {
                        return Root.this;
                    }

                    @Override
                    public String toString() {
                        return "the gateway needs " + id;
                    }
                });
            }
        }

        @Override
        public List<Capability> getCapabilities(String namespace) {
            return List.of();
        }

        @Override
        public List<Requirement> getRequirements(String namespace) {
            return namespace == null || namespace.equals(IndexResource.IDENTITY) ? requirements : List.of();
        }
    }

    private static final class Context extends ResolveContext {
        private final RepositoryIndex index;
        private final BundleRevision system;
        private final Root root;
        private final Map<String, Filter> filters = new HashMap<>();

        Context(RepositoryIndex index, BundleRevision system, Root root) {
            this.index = index;
            this.system = system;
            this.root = root;
        }

        @Override
        public Collection<Resource> getMandatoryResources() {
            return List.of(root);
        }

        @Override
        public List<Capability> findProviders(Requirement requirement) {
            List<Capability> found = new ArrayList<>();
            for (Capability c : system.getCapabilities(requirement.getNamespace())) {
                if (matches(requirement, c)) {
                    found.add(c);
                }
            }
            List<Capability> fromIndex = new ArrayList<>();
            for (IndexResource r : index.resources()) {
                for (Capability c : r.getCapabilities(requirement.getNamespace())) {
                    if (matches(requirement, c)) {
                        fromIndex.add(c);
                    }
                }
            }
            // the framework first, then the highest version of each candidate
            fromIndex.sort(Comparator.comparing((Capability c) -> ((IndexResource) c.getResource()).version())
                    .reversed());
            found.addAll(fromIndex);
            return found;
        }

        private boolean matches(Requirement requirement, Capability capability) {
            String effective = capability.getDirectives().get(Namespace.CAPABILITY_EFFECTIVE_DIRECTIVE);
            if (effective != null && !effective.equals(Namespace.EFFECTIVE_RESOLVE)) {
                return false;
            }
            String filter = requirement.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
            if (filter == null) {
                return true;
            }
            Filter f = filters.computeIfAbsent(filter, text -> {
                try {
                    return FrameworkUtil.createFilter(text);
                } catch (InvalidSyntaxException e) {
                    return null;
                }
            });
            return f != null && f.matches(capability.getAttributes());
        }

        @Override
        public int insertHostedCapability(List<Capability> capabilities, HostedCapability hostedCapability) {
            capabilities.add(hostedCapability);
            return capabilities.size() - 1;
        }

        @Override
        public boolean isEffective(Requirement requirement) {
            String effective = requirement.getDirectives().get(Namespace.REQUIREMENT_EFFECTIVE_DIRECTIVE);
            return effective == null || effective.equals(Namespace.EFFECTIVE_RESOLVE);
        }

        @Override
        public Map<Resource, Wiring> getWirings() {
            return Map.of(system, system.getWiring());
        }
    }
}
