package io.pm500.itest;

import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.RefusedConfiguration;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What every registered {@link StatusSource} reports, as a status page reads it. A registration whose object cannot
 * be got (a component failing to activate, or one going away meanwhile) reports nothing; it is named on stdout.
 */
final class StatusSources {
    private StatusSources() {
    }

    static List<MeterStatus> meters(BundleContext context) {
        return collect(context, StatusSource::meters);
    }

    static List<SinkStatus> sinks(BundleContext context) {
        return collect(context, StatusSource::sinks);
    }

    static List<RefusedConfiguration> refused(BundleContext context) {
        return collect(context, StatusSource::refusedConfigurations);
    }

    /** One sink's outbox status; all zero and ABSENT until the pipeline made its outbox. */
    static SinkStatus sink(BundleContext context, String name) {
        return sinks(context).stream().filter(s -> s.sinkName().equals(name)).findFirst()
                .orElse(SinkStatus.builder(name, SinkState.ABSENT).build());
    }

    private static <T> List<T> collect(BundleContext context, Function<StatusSource, List<T>> what) {
        List<T> all = new ArrayList<>();
        try {
            for (ServiceReference<StatusSource> ref : context.getServiceReferences(StatusSource.class, null)) {
                StatusSource source = context.getService(ref);
                if (source == null) {
                    System.out.println("status source not available: " + ref.getProperty("component.name") + " "
                            + ref.getProperty("service.id"));
                    continue;
                }
                try {
                    all.addAll(what.apply(source));
                } finally {
                    context.ungetService(ref);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return all;
    }
}
