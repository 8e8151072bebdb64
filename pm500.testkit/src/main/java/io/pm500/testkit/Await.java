package io.pm500.testkit;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The one way tests wait for something asynchronous (a broker, SCR, FileInstall, a sink's thread) to become true:
 * polled every {@value #POLL_MILLIS} ms until a deadline, failing with what was awaited and the last state seen —
 * never a fixed sleep.
 */
public final class Await {
    private static final long POLL_MILLIS = 25;

    private Await() {
    }

    /** Returns once the condition holds; fails with the description and the last observed state otherwise. */
    public static void until(Duration timeout, Supplier<String> state, Callable<Boolean> condition)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + state.get());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** {@link #until(Duration, Supplier, Callable)} with a fixed description. */
    public static void until(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
        until(timeout, () -> what, condition);
    }
}
