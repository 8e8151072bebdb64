package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final LoginThrottle throttle = new LoginThrottle(now::get);

    @Test
    void fiveFailuresWithinAMinuteBlockThatAddressOnly() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            assertThat(throttle.allowed("10.0.0.9")).isTrue();
            throttle.failed("10.0.0.9");
        }
        assertThat(throttle.allowed("10.0.0.9")).isFalse();
        assertThat(throttle.allowed("127.0.0.1")).isTrue();
        now.addAndGet(LoginThrottle.WINDOW_NANOS + 1);
        assertThat(throttle.allowed("10.0.0.9")).as("after the window").isTrue();
    }

    @Test
    void successForgetsEarlierFailures() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES - 1; i++) {
            throttle.failed("10.0.0.9");
        }
        throttle.succeeded("10.0.0.9");
        throttle.failed("10.0.0.9");
        assertThat(throttle.allowed("10.0.0.9")).isTrue();
    }

    @Test
    void failuresOutsideTheWindowStartANewOne() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES - 1; i++) {
            throttle.failed("10.0.0.9");
        }
        now.addAndGet(LoginThrottle.WINDOW_NANOS + 1);
        throttle.failed("10.0.0.9");
        assertThat(throttle.allowed("10.0.0.9")).isTrue();
    }
}
