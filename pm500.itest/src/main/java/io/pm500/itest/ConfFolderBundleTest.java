package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.testkit.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * conf/ feeds Config Admin through the runtime's ConfFolder (in Felix, with Felix Config Admin): a file creates,
 * updates and deletes its configuration; a file rewritten unchanged or unreadable changes nothing.
 */
@ExtendWith(FailureReport.class)
class ConfFolderBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;

    private final List<ConfigurationEvent> events = new CopyOnWriteArrayList<>();
    private ServiceRegistration<ConfigurationListener> listener;
    // fresh names each run: the work directory (and Config Admin's store) outlive a run
    private final String name = "itest.conf-" + UUID.randomUUID();
    private final String sentinel = "itest.sentinel-" + UUID.randomUUID();
    private Path conf;

    @BeforeEach
    void listen() {
        conf = Path.of(context.getProperty("pm500.conf.dir"));
        listener = context.registerService(ConfigurationListener.class, events::add, null);
    }

    @AfterEach
    void stopListening() throws IOException {
        listener.unregister();
        Files.deleteIfExists(conf.resolve(name + ".cfg"));
        Files.deleteIfExists(conf.resolve(sentinel + ".cfg"));
    }

    @Test
    void aFileCreatesUpdatesAndDeletesItsFactoryConfiguration() throws Exception {
        String pid = name.replaceFirst("-", "~");
        Path cfg = conf.resolve(name + ".cfg");
        write(cfg, "meterId=m1\nsite=plant 1\n");
        awaitValue(pid, "meterId", "m1");
        Configuration made = configuration(pid);
        assertThat(made.getFactoryPid()).isEqualTo("itest.conf");
        assertThat(made.getProperties().get("site")).isEqualTo("plant 1");
        assertThat(made.getProperties().get("felix.fileinstall.filename")).isEqualTo(cfg.toUri().toString());
        // the gateway never writes to conf/: the file is as we wrote it
        assertThat(Files.readString(cfg)).isEqualTo("meterId=m1\nsite=plant 1\n");

        write(cfg, "meterId=m2\n");
        awaitValue(pid, "meterId", "m2");
        assertThat(configuration(pid).getProperties().get("site")).as("a key removed from the file").isNull();

        Files.delete(cfg);
        Await.until(TIMEOUT, () -> "configuration " + pid + " still there", () -> configuration(pid) == null);
    }

    @Test
    void aFileRewrittenUnchangedSendsNoUpdate() throws Exception {
        Path cfg = created("meterId=m1\n");
        long updates = updatesOf(name);

        write(cfg, "meterId=m1\n"); // same properties, new modification time
        awaitReadPast();
        assertThat(updatesOf(name)).isEqualTo(updates);
    }

    @Test
    void anUnreadableFileLeavesItsConfigurationAsItWasUntilFixed() throws Exception {
        String pid = name.replaceFirst("-", "~");
        Path cfg = created("meterId=m1\n");

        write(cfg, "meterId=\\uZZZZ\n");
        awaitReadPast();
        assertThat(configuration(pid).getProperties().get("meterId")).isEqualTo("m1");

        write(cfg, "meterId=m3\n");
        awaitValue(pid, "meterId", "m3");
    }

    /**
     * Writes this test's file with {@code meterId=m1} and waits for its configuration and for its event: Config Admin
     * sends events on a thread of its own, after the configuration is readable.
     */
    private Path created(String content) throws Exception {
        Path cfg = conf.resolve(name + ".cfg");
        write(cfg, content);
        awaitValue(name.replaceFirst("-", "~"), "meterId", "m1");
        Await.until(TIMEOUT, () -> "no event for " + name, () -> updatesOf(name) == 1);
        return cfg;
    }

    /**
     * Writes the sentinel and waits for its event: the folder applies files in the order they change and Config
     * Admin sends its events in order, so whatever was written before has been read (and its event sent) by then.
     */
    private void awaitReadPast() throws Exception {
        write(conf.resolve(sentinel + ".cfg"), "seen=1\n");
        Await.until(TIMEOUT, () -> "no event for " + sentinel, () -> updatesOf(sentinel) == 1);
    }

    private long updatesOf(String fileName) {
        String pid = fileName.replaceFirst("-", "~");
        return events.stream().filter(e -> e.getType() == ConfigurationEvent.CM_UPDATED && pid.equals(e.getPid()))
                .count();
    }

    private void awaitValue(String pid, String key, String value) throws Exception {
        Await.until(TIMEOUT, () -> "configuration " + pid + " has no " + key + "=" + value, () -> {
            Configuration c = configuration(pid);
            return c != null && value.equals(c.getProperties().get(key));
        });
    }

    private Configuration configuration(String pid) throws Exception {
        Configuration[] found = configAdmin.listConfigurations("(service.pid=" + pid + ")");
        return found == null ? null : found[0];
    }

    /** Written beside the file, then moved: the folder sees the whole file at once. */
    private static void write(Path target, String content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent().getParent(), "itest", ".part");
        Files.writeString(tmp, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
