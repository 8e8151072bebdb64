package io.pm500.fleet.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.osgi.framework.Version;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * An OSGi repository index (OSGi Repository 1.x XML, {@code index.xml}) of one release: its {@code name}, its
 * {@code increment} (the release number: a newer release has a larger one) and its resources. Parsed with external
 * entities and DOCTYPEs refused, since the signature is checked on the bytes but the parser must not fetch anything.
 *
 * @param location where the index was read; artifact URLs resolve against it
 */
record RepositoryIndex(String name, long increment, List<IndexResource> resources, URI location) {

    static RepositoryIndex parse(byte[] xml, URI location) throws IOException {
        Document doc;
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            doc = builder.parse(new ByteArrayInputStream(xml));
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("index " + location + " is not a repository index: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (!"repository".equals(root.getLocalName())) {
            throw new IOException("index " + location + ": root element <" + root.getLocalName() + ">, expected"
                    + " <repository>");
        }
        long increment;
        try {
            increment = Long.parseLong(root.getAttribute("increment").trim());
        } catch (NumberFormatException e) {
            throw new IOException("index " + location + ": <repository increment=\"" + root.getAttribute("increment")
                    + "\"> is not a release number; publish it with one (e.g. the build time)", e);
        }
        List<IndexResource> resources = new ArrayList<>();
        for (Element r : children(root, "resource")) {
            IndexResource resource = new IndexResource();
            for (Element c : children(r, "capability")) {
                resource.addCapability(c.getAttribute("namespace"), attributes(c, location), directives(c));
            }
            for (Element q : children(r, "requirement")) {
                resource.addRequirement(q.getAttribute("namespace"), attributes(q, location), directives(q));
            }
            resources.add(resource);
        }
        return new RepositoryIndex(root.getAttribute("name"), increment, List.copyOf(resources), location);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && name.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    private static Map<String, String> directives(Element parent) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Element d : children(parent, "directive")) {
            out.put(d.getAttribute("name"), d.getAttribute("value"));
        }
        return out;
    }

    private static Map<String, Object> attributes(Element parent, URI location) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Element a : children(parent, "attribute")) {
            String name = a.getAttribute("name");
            String type = a.hasAttribute("type") ? a.getAttribute("type") : "String";
            try {
                out.put(name, value(type, a.getAttribute("value")));
            } catch (IllegalArgumentException e) {
                throw new IOException("index " + location + ": attribute " + name + " of type " + type + ": "
                        + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The spec's attribute types: String, Version, Long, Double and List&lt;…&gt; of them (comma separated). */
    private static Object value(String type, String text) {
        if (type.startsWith("List<") && type.endsWith(">")) {
            String element = type.substring(5, type.length() - 1);
            List<Object> list = new ArrayList<>();
            for (String part : splitList(text)) {
                list.add(value(element, part.trim()));
            }
            return List.copyOf(list);
        }
        return switch (type) {
            case "String" -> text;
            case "Version" -> Version.parseVersion(text.trim());
            case "Long" -> Long.parseLong(text.trim());
            case "Double" -> Double.parseDouble(text.trim());
            default -> throw new IllegalArgumentException("unknown attribute type");
        };
    }

    /** Splits at commas not escaped by a backslash. */
    private static List<String> splitList(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                part.append(text.charAt(++i));
            } else if (c == ',') {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        return parts;
    }
}
