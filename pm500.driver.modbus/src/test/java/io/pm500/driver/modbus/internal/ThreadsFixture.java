package io.pm500.driver.modbus.internal;

import java.lang.annotation.Annotation;

/** The driver's thread configuration as Config Admin would hand it over. */
record ThreadsFixture(int ioThreads, int slowLaneThreads) implements PollScheduler.Config {
    /** The component's defaults. */
    static final ThreadsFixture DEFAULTS = new ThreadsFixture(4, 32);

    @Override
    public Class<? extends Annotation> annotationType() {
        return PollScheduler.Config.class;
    }
}
