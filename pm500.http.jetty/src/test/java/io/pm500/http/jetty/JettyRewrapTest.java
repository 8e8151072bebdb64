package io.pm500.http.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import aQute.bnd.header.Parameters;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rewrapped HTTP service is Felix's bundle but for its identity and the service-loader processor requirement
 * (bnd.bnd says why): a newer Felix bundle whose headers changed fails here until bnd.bnd is brought in line.
 */
class JettyRewrapTest {
    private static final Set<String> OWN = Set.of("Bundle-SymbolicName", "Bundle-Version", "Bundle-Name",
            "Bundle-Description", "Require-Capability");
    private static final String PROCESSOR = "(osgi.extender=osgi.serviceloader.processor)";

    private static Manifest original;
    private static Manifest rewrapped;

    @BeforeAll
    static void readManifests() throws IOException {
        try (JarFile file = new JarFile(felixJar().toFile())) {
            original = file.getManifest();
        }
        try (InputStream in = Files.newInputStream(Path.of("target/classes/META-INF/MANIFEST.MF"))) {
            rewrapped = new Manifest(in);
        }
    }

    @Test
    void everyOtherHeaderIsFelixs() {
        Map<String, String> expected = headers(original);
        Map<String, String> actual = headers(rewrapped);
        expected.keySet().removeAll(OWN);
        actual.keySet().removeAll(OWN);
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((header, value) -> assertThat(actual.get(header)).as(header).isEqualTo(value));
        assertThat(rewrapped.getMainAttributes().getValue("Bundle-SymbolicName")).isEqualTo("pm500.http.jetty");
    }

    @Test
    void onlyTheServiceLoaderProcessorIsNoLongerRequired() {
        Parameters before = new Parameters(original.getMainAttributes().getValue("Require-Capability"), null, true);
        Parameters after = new Parameters(rewrapped.getMainAttributes().getValue("Require-Capability"), null, true);
        assertThat(before.toString()).contains(PROCESSOR);
        assertThat(after.toString()).doesNotContain(PROCESSOR);
        Parameters removed = new Parameters(before.toString(), null, true);
        removed.entrySet().removeIf(e -> e.getValue().toString().contains(PROCESSOR));
        assertThat(after.toString()).isEqualTo(removed.toString());
    }

    @Test
    void everyClassAndResourceIsFelixs() throws IOException {
        try (JarFile file = new JarFile(felixJar().toFile())) {
            assertThat(file.stream().filter(e -> !e.isDirectory() && !e.getName().equals(JarFile.MANIFEST_NAME)))
                    .allSatisfy(e -> {
                        Path copy = Path.of("target/classes", e.getName());
                        assertThat(copy).exists();
                        assertThat(Files.size(copy)).as(e.getName()).isEqualTo(e.getSize());
                    });
        }
    }

    /** Felix's jar, a provided dependency (the build copied its content into target/classes, which comes first). */
    private static Path felixJar() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.getFileName().toString().startsWith("org.apache.felix.http.jetty12-"))
                .findFirst().orElseThrow();
    }

    private static Map<String, String> headers(Manifest manifest) {
        Map<String, String> headers = new HashMap<>();
        for (Map.Entry<Object, Object> e : manifest.getMainAttributes().entrySet()) {
            headers.put(((Attributes.Name) e.getKey()).toString(), (String) e.getValue());
        }
        return headers;
    }
}
