package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.slf4j.LoggerFactory;

/** Issue 19: a bundle the framework fails to start was reported on standard output only, never in the log. */
class FrameworkErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aBundleTheFrameworkFailsToStartIsLoggedWithItsNameAndCause() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(FrameworkErrors.class);
        logger.addAppender(log);
        Framework felix = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow()
                .newFramework(Map.of(Constants.FRAMEWORK_STORAGE, dir.resolve("cache").toString(),
                        Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        felix.start();
        try {
            FrameworkErrors errors = new FrameworkErrors(felix.getBundleContext());
            Bundle broken = felix.getBundleContext().installBundle(brokenBundle().toUri().toString());
            broken.adapt(BundleStartLevel.class).setStartLevel(2);
            broken.start(); // marked for start; the framework starts it when it reaches start level 2
            felix.adapt(FrameworkStartLevel.class).setStartLevel(2);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (log.list.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            errors.deactivate();
        } finally {
            felix.stop();
            felix.waitForStop(10_000);
            logger.detachAppender(log);
        }
        assertThat(log.list).singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                .startsWith("Framework error in bundle broken.bundle 1.0.0: org.osgi.framework.BundleException")
                .contains("does.not.Exist"));
    }

    private Path brokenBundle() throws Exception {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, "broken.bundle");
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        a.putValue(Constants.BUNDLE_ACTIVATOR, "does.not.Exist");
        Path jar = dir.resolve("broken.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return jar;
    }
}
