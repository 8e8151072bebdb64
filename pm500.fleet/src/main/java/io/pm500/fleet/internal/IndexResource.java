package io.pm500.fleet.internal;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.osgi.framework.Version;
import org.osgi.resource.Capability;
import org.osgi.resource.Requirement;
import org.osgi.resource.Resource;

/**
 * One resource of a repository index: its capabilities and requirements as the OSGi Resolver sees them, and where
 * its artifact is ({@code osgi.content}: SHA-256, URL, size). Identity equality, as the Resolver expects.
 */
final class IndexResource implements Resource {
    static final String IDENTITY = "osgi.identity";
    static final String CONTENT = "osgi.content";

    private final List<Capability> capabilities = new ArrayList<>();
    private final List<Requirement> requirements = new ArrayList<>();

    /** A capability or requirement of this resource. */
    final class Part implements Capability, Requirement {
        private final String namespace;
        private final Map<String, Object> attributes;
        private final Map<String, String> directives;

        Part(String namespace, Map<String, Object> attributes, Map<String, String> directives) {
            this.namespace = namespace;
            this.attributes = Collections.unmodifiableMap(attributes);
            this.directives = Collections.unmodifiableMap(directives);
        }

        @Override
        public String getNamespace() {
            return namespace;
        }

        @Override
        public Map<String, String> getDirectives() {
            return directives;
        }

        @Override
        public Map<String, Object> getAttributes() {
            return attributes;
        }

        @Override
        public Resource getResource() {
            return IndexResource.this;
        }

        @Override
        public String toString() {
            return namespace + attributes + directives;
        }
    }

    void addCapability(String namespace, Map<String, Object> attributes, Map<String, String> directives) {
        capabilities.add(new Part(namespace, attributes, directives));
    }

    void addRequirement(String namespace, Map<String, Object> attributes, Map<String, String> directives) {
        requirements.add(new Part(namespace, attributes, directives));
    }

    @Override
    public List<Capability> getCapabilities(String namespace) {
        return namespace == null ? Collections.unmodifiableList(capabilities)
                : capabilities.stream().filter(c -> c.getNamespace().equals(namespace)).toList();
    }

    @Override
    public List<Requirement> getRequirements(String namespace) {
        return namespace == null ? Collections.unmodifiableList(requirements)
                : requirements.stream().filter(r -> r.getNamespace().equals(namespace)).toList();
    }

    private Object identityAttribute(String name) {
        List<Capability> identity = getCapabilities(IDENTITY);
        return identity.isEmpty() ? null : identity.get(0).getAttributes().get(name);
    }

    private Object contentAttribute(String name) {
        List<Capability> content = getCapabilities(CONTENT);
        return content.isEmpty() ? null : content.get(0).getAttributes().get(name);
    }

    /** The bundle symbolic name, or null for a resource without identity. */
    String identity() {
        return (String) identityAttribute(IDENTITY);
    }

    Version version() {
        Object v = identityAttribute("version");
        return v instanceof Version version ? version : Version.emptyVersion;
    }

    /** {@code osgi.bundle}, {@code osgi.fragment}, … */
    String type() {
        Object t = identityAttribute("type");
        return t == null ? "osgi.bundle" : t.toString();
    }

    /** SHA-256 of the artifact, lower-case hex, as the index states it. */
    String sha256() {
        Object digest = contentAttribute(CONTENT);
        return digest == null ? null : digest.toString().toLowerCase(Locale.ROOT);
    }

    /** The artifact's URL as written in the index (relative to the index, or absolute). */
    String url() {
        Object url = contentAttribute("url");
        return url == null ? null : url.toString();
    }

    long size() {
        Object size = contentAttribute("size");
        return size instanceof Long l ? l : -1;
    }

    URI resolveUrl(URI index) {
        return index.resolve(url());
    }

    @Override
    public String toString() {
        return identity() + " " + version();
    }
}
