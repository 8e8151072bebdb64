package io.pm500.itest;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Prints a failed test and its stack trace on stdout: the bnd tester only writes them to its XML reports, which a
 * CI log does not show.
 */
public final class FailureReport implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        System.out.println("TEST FAILED: " + context.getRequiredTestClass().getSimpleName() + "."
                + context.getDisplayName());
        cause.printStackTrace(System.out);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        // nothing to report
    }
}
