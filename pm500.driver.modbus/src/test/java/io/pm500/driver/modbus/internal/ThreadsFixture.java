package io.pm500.driver.modbus.internal;

import java.lang.annotation.Annotation;
import java.util.Map;
import org.osgi.util.converter.Converters;
import org.osgi.util.converter.TypeReference;

/** The driver's thread configuration as Config Admin would hand it over. */
record ThreadsFixture(int ioThreads) implements PollScheduler.Config {
    /** The component's defaults. */
    static final ThreadsFixture DEFAULTS = new ThreadsFixture(1);

    /** The properties SCR would pass: what the component reads with {@code ConfigValues}. */
    Map<String, Object> properties() {
        return Converters.standardConverter().convert(this).sourceAs(PollScheduler.Config.class)
                .to(new TypeReference<Map<String, Object>>() { });
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return PollScheduler.Config.class;
    }
}
