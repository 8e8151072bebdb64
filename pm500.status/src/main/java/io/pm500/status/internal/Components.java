package io.pm500.status.internal;

import io.pm500.api.status.RefusedConfiguration;
import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Components that exist (configured) but are not active, and configurations refused by the bundle they were handed
 * to (meters, assets), and why: the page, the start-up report and health agree.
 */
final class Components {
    /** A component configuration that is not active. */
    record Inactive(String name, String configuration, String reason) {
    }

    private Components() {
    }

    static List<Inactive> notActive(ServiceComponentRuntime scr, Snapshots snapshots) {
        List<Inactive> out = new ArrayList<>();
        if (scr != null) {
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state != ComponentConfigurationDTO.ACTIVE
                            && c.state != ComponentConfigurationDTO.SATISFIED) {
                        out.add(new Inactive(d.name, String.valueOf(c.properties.get("service.pid")),
                                whyNotActive(c)));
                    }
                }
            }
        }
        for (RefusedConfiguration r : snapshots.refusedConfigurations()) {
            out.add(new Inactive(r.factory(), r.pid(), r.reason()));
        }
        return out;
    }

    /** Why a component configuration is not active, in words. */
    static String whyNotActive(ComponentConfigurationDTO c) {
        return switch (c.state) {
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "waiting for its configuration";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "unsatisfied reference "
                    + c.unsatisfiedReferences[0].name;
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "activation failed: " + cause(c.failure);
            default -> "state " + c.state;
        };
    }

    /** SCR's failure is a stack trace of the reflective call; the reason is its innermost cause's message. */
    private static String cause(String failure) {
        if (failure == null) {
            return "";
        }
        String reason = failure.lines().findFirst().orElse("");
        for (String line : failure.lines().toList()) {
            if (line.startsWith("Caused by: ")) {
                reason = line.substring("Caused by: ".length());
            }
        }
        return reason;
    }
}
