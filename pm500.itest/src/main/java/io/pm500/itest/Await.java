package io.pm500.itest;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** Waits for a condition that something asynchronous (FileInstall, SCR, Jetty) makes true. */
final class Await {
    private static final long POLL_MILLIS = 25;

    private Await() {
    }

    /** Returns once the condition holds; fails with the description and the last observed state otherwise. */
    static void until(Duration timeout, Supplier<String> state, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + state.get());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
