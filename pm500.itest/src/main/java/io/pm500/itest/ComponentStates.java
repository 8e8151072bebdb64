package io.pm500.itest;

import java.util.Arrays;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/** A bundle by symbolic name, and its DS component configurations as the Web Console shows them. */
final class ComponentStates {
    private ComponentStates() {
    }

    static Bundle bundle(BundleContext context, String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + bsn));
    }

    static List<ComponentConfigurationDTO> of(BundleContext context, ServiceComponentRuntime scr, String bsn) {
        return scr.getComponentDescriptionDTOs(bundle(context, bsn)).stream()
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream()).toList();
    }
}
