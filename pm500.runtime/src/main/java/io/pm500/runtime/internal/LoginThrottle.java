package io.pm500.runtime.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows password guessing and keeps it from burning CPU: after {@link #MAX_FAILURES} failed logins from one
 * address within {@link #WINDOW_NANOS}, that address is refused without checking (no PBKDF2) until the window
 * has passed. Remembers a bounded number of addresses.
 */
final class LoginThrottle {
    static final int MAX_FAILURES = 5;
    static final long WINDOW_NANOS = 60_000_000_000L;
    private static final int MAX_ADDRESSES = 1024;

    private final LongSupplier nanoClock;
    private final Map<String, long[]> failures = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    LoginThrottle(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** True when the address may try a password now. */
    synchronized boolean allowed(String address) {
        long[] entry = failures.get(address);
        if (entry == null) {
            return true;
        }
        if (nanoClock.getAsLong() - entry[1] > WINDOW_NANOS) {
            failures.remove(address);
            return true;
        }
        return entry[0] < MAX_FAILURES;
    }

    /** Counts a failed login; the window starts at the first failure. */
    synchronized void failed(String address) {
        long now = nanoClock.getAsLong();
        long[] entry = failures.get(address);
        if (entry == null || now - entry[1] > WINDOW_NANOS) {
            failures.put(address, new long[] { 1, now });
        } else {
            entry[0]++;
        }
    }

    synchronized void succeeded(String address) {
        failures.remove(address);
    }
}
