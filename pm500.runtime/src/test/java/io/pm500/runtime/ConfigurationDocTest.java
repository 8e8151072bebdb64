package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The configuration reference and the code agree: every key of every form the gateway's bundles declare (their
 * metatype, as the Web Console shows it) is documented in {@code docs/}, and every key a table of
 * {@code docs/configuration.md} lists under a pid heading is a key of that pid's form.
 */
class ConfigurationDocTest {
    /** Keys every factory form carries for the console's list, not for operators to set. */
    private static final Set<String> CONSOLE_ONLY = Set.of("webconsole.configurationFactory.nameHint");
    private static final Pattern KEY = Pattern.compile("`([^`]+)`");

    /** pid (or factory pid) → the keys of its form. */
    private static final Map<String, Set<String>> FORMS = new TreeMap<>();
    private static String docs;
    private static List<String> configuration;

    @BeforeAll
    static void read() throws Exception {
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!entry.contains("pm500.")) { // our modules: their jars, or their classes in a reactor build
                continue;
            }
            if (Files.isDirectory(p)) {
                Path dir = p.resolve("OSGI-INF/metatype");
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> files = Files.list(dir)) {
                        for (Path f : files.toList()) {
                            try (InputStream in = Files.newInputStream(f)) {
                                form(in);
                            }
                        }
                    }
                }
            } else if (entry.endsWith(".jar")) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                        JarEntry j = e.nextElement();
                        if (j.getName().startsWith("OSGI-INF/metatype/") && j.getName().endsWith(".xml")) {
                            try (InputStream in = jar.getInputStream(j)) {
                                form(in);
                            }
                        }
                    }
                }
            }
        }
        Path dir = Path.of("..", "docs");
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
                all.append(Files.readString(f)).append('\n');
            }
        }
        docs = all.toString();
        configuration = Files.readAllLines(dir.resolve("configuration.md"));
    }

    private static void form(InputStream in) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        Document d = f.newDocumentBuilder().parse(in);
        Map<String, Set<String>> byOcd = new HashMap<>();
        NodeList ocds = d.getElementsByTagName("OCD");
        for (int i = 0; i < ocds.getLength(); i++) {
            Element ocd = (Element) ocds.item(i);
            Set<String> keys = new LinkedHashSet<>();
            NodeList ads = ocd.getElementsByTagName("AD");
            for (int j = 0; j < ads.getLength(); j++) {
                String id = ((Element) ads.item(j)).getAttribute("id");
                if (!CONSOLE_ONLY.contains(id)) {
                    keys.add(id);
                }
            }
            byOcd.put(ocd.getAttribute("id"), keys);
        }
        NodeList designates = d.getElementsByTagName("Designate");
        for (int i = 0; i < designates.getLength(); i++) {
            Element des = (Element) designates.item(i);
            String pid = des.getAttribute("factoryPid").isEmpty() ? des.getAttribute("pid")
                    : des.getAttribute("factoryPid");
            String ocdRef = ((Element) des.getElementsByTagName("Object").item(0)).getAttribute("ocdref");
            if (!pid.startsWith("pm500.testkit.") && !pid.startsWith("pm500.example.")) { // not the gateway's
                FORMS.put(pid, byOcd.getOrDefault(ocdRef, Set.of()));
            }
        }
    }

    @Test
    void theGatewaysFormsAreFound() {
        assertThat(FORMS).as("the metatype of the gateway's bundles on the test class path")
                .containsKeys("pm500.asset", "pm500.route", "pm500.pipeline", "pm500.driver.modbus",
                        "pm500.driver.cip", "pm500.sink.sparkplug", "pm500.sink.influx", "pm500.sink.aws");
    }

    @Test
    void everyKeyOfEveryFormIsDocumented() {
        List<String> missing = new ArrayList<>();
        FORMS.forEach((pid, keys) -> keys.stream().filter(k -> !docs.contains("`" + k + "`"))
                .forEach(k -> missing.add(pid + ": " + k)));
        assertThat(missing).as("keys of a form that no page of docs/ names (in backticks)").isEmpty();
    }

    @Test
    void everyKeyConfigurationMdListsUnderAPidIsAKeyOfItsForm() {
        List<String> unknown = new ArrayList<>();
        Set<String> section = Set.of(); // the pids the current heading names
        for (String line : configuration) {
            if (line.startsWith("## ")) {
                Set<String> pids = new LinkedHashSet<>();
                Matcher k = KEY.matcher(line);
                while (k.find()) {
                    String pid = k.group(1).replace("~<name>", "");
                    if (FORMS.containsKey(pid)) {
                        pids.add(pid);
                    }
                }
                section = pids;
                continue;
            }
            if (section.isEmpty() || !line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("\\|");
            String first = cells[1].trim();
            // a table of several pids has the pid first, then the key
            boolean byPid = first.matches("`[a-z0-9.]+`") && FORMS.containsKey(first.replace("`", ""));
            Set<String> keys = byPid ? FORMS.get(first.replace("`", "")) : union(section);
            Matcher k = KEY.matcher(byPid ? cells[2] : first);
            while (k.find()) {
                if (!keys.contains(k.group(1))) {
                    unknown.add(section + ": " + k.group(1));
                }
            }
        }
        assertThat(unknown).as("keys docs/configuration.md lists that the pid's form does not have").isEmpty();
    }

    private static Set<String> union(Set<String> pids) {
        Set<String> keys = new LinkedHashSet<>();
        pids.forEach(p -> keys.addAll(FORMS.get(p)));
        return keys;
    }
}
