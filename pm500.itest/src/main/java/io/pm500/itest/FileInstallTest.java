package io.pm500.itest;

import io.pm500.testkit.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;

/** FileInstall installs the bundles dropped into deploy/ and uninstalls them when removed (conf/: ConfFolderTest). */
@ExtendWith(FailureReport.class)
class FileInstallTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectBundleContext
    BundleContext context;

    @Test
    void bundleDroppedIntoDeployStartsAndIsUninstalledWhenRemoved() throws Exception {
        Path jar = Path.of(context.getProperty("pm500.deploy.dir"), "itest-deployed.jar");
        writeAtomically(jar, bundle("itest.deployed", "1.0.0"));
        Await.until(TIMEOUT, () -> "itest.deployed not active", () -> {
            Bundle b = find("itest.deployed");
            return b != null && b.getState() == Bundle.ACTIVE;
        });

        Files.delete(jar);
        Await.until(TIMEOUT, () -> "itest.deployed still installed", () -> find("itest.deployed") == null);
    }

    private Bundle find(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElse(null);
    }

    /** FileInstall must never see a half-written jar: write beside it, then move. */
    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent().getParent(), "itest", ".part");
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] bundle(String symbolicName, String version) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", version);
        var bytes = new java.io.ByteArrayOutputStream();
        try (OutputStream out = new JarOutputStream(bytes, manifest)) {
            // a manifest-only bundle is a valid bundle
        }
        return bytes.toByteArray();
    }
}
