package io.pm500.driver.modbus.internal;

import io.pm500.api.poll.PollThreads;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The Modbus driver's threads, shared by every meter ({@link PollThreads}): one timer and a pool of
 * {@value #IO_THREADS} for the blocking j2mod transactions.
 */
@Component(service = PollScheduler.class)
public final class PollScheduler {
    /** Blocking transactions in flight at once across all meters. */
    static final int IO_THREADS = 4;

    private final PollThreads threads = new PollThreads("modbus", IO_THREADS);

    PollThreads threads() {
        return threads;
    }

    @Deactivate
    void stop() throws InterruptedException {
        threads.close();
    }
}
