package io.pm500.itest;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * A test that drives the gateway's meters at a peer we did not write and reads what comes out of the pipeline: the
 * meters' configurations and a collecting sink, both removed after each test.
 */
@ExtendWith(FailureReport.class)
abstract class PeerPipelineTest {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;

    final String run = Long.toString(System.nanoTime(), 36);
    TestConfigs configs;
    CollectingSink sink;

    @BeforeEach
    void configs() {
        configs = new TestConfigs(configAdmin);
        sink = new CollectingSink(context, configAdmin, getClass().getSimpleName() + "-" + run);
    }

    @AfterEach
    void cleanUp() throws Exception {
        configs.close();
        sink.close();
    }
}
