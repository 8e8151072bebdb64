package io.pm500.driver.kit;

import io.pm500.api.status.MeterStatus;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * One configured meter in a driver's component, from configuration to status: a configuration is checked before
 * anything changes (a bad one is logged, naming each key and its fix, and refused — the meter stays as it was); a
 * good one stops the meter's poller and starts a new one; status readers on any thread see the current poller.
 */
public final class PolledMeter {
    private final Logger log;
    private volatile PollRules<?> poller; // read by status readers on other threads

    /** @param log the driver component's logger, so a refused configuration is logged under the driver's name */
    public PolledMeter(Logger log) {
        this.log = log;
    }

    /**
     * @param check the driver's settings check; an {@link IllegalArgumentException} names every problem
     * @param start makes and starts the poller of checked settings
     */
    public synchronized <S> void configure(Supplier<S> check, Function<S, PollRules<?>> start) {
        S settings;
        try {
            settings = check.get();
        } catch (IllegalArgumentException e) {
            log.error(e.getMessage());
            throw e;
        }
        close();
        poller = start.apply(settings);
    }

    /** Stops polling; the status then says the meter is not read. */
    public synchronized void close() {
        if (poller != null) {
            poller.close();
        }
    }

    public List<MeterStatus> status() {
        PollRules<?> p = poller;
        return p == null ? List.of() : List.of(p.status());
    }
}
