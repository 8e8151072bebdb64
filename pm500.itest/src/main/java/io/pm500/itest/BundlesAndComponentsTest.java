package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

@ExtendWith(FailureReport.class)
class BundlesAndComponentsTest {
    private static final List<String> GATEWAY_BUNDLES = List.of("pm500.api", "pm500.driver.cip",
            "pm500.driver.modbus", "pm500.enrich", "pm500.sink.sparkplug", "pm500.sink.influx", "pm500.sink.aws",
            "pm500.runtime");

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ServiceComponentRuntime scr;
    @InjectService
    ConfigurationAdmin configAdmin;

    @BeforeEach
    void http() throws Exception {
        GatewayHttp.console(context, configAdmin); // the start-up report component needs a live HTTP runtime
    }

    @Test
    void everyBundleIsActive() {
        List<String> notActive = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            boolean fragment = (bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (bundle.getState() != expected) {
                notActive.add(bundle.getSymbolicName() + " (state " + bundle.getState() + ")");
            }
        }
        assertThat(notActive).as("bundles not active").isEmpty();
        assertThat(Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName)).containsAll(GATEWAY_BUNDLES);
    }

    @Test
    void everyComponentIsSatisfied() throws Exception {
        Await.until(Duration.ofSeconds(30), () -> "components not satisfied: " + unsatisfied(), () -> unsatisfied().isEmpty());
        assertThat(scr.getComponentDescriptionDTOs()).extracting(d -> d.name).contains(
                "io.pm500.runtime.internal.ConsoleSecurity", "io.pm500.runtime.internal.ConsoleLogin",
                "io.pm500.status.internal.StartupReport", "io.pm500.status.internal.StatusPlugin",
                "io.pm500.runtime.internal.WorkingDirectories", "io.pm500.runtime.internal.GracefulShutdown");
    }

    private List<String> unsatisfied() {
        List<String> result = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                if (configuration.state != ComponentConfigurationDTO.ACTIVE
                        && configuration.state != ComponentConfigurationDTO.SATISFIED) {
                    result.add(description.name + " state=" + configuration.state + " failure=" + configuration.failure);
                }
            }
        }
        return result;
    }
}
