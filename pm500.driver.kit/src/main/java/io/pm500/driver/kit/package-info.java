/**
 * What every driver polls with, so all drivers follow the same rules: {@link io.pm500.driver.kit.PollRules} (the
 * rules of one poll and its outcome, for any driver) and {@link io.pm500.driver.kit.BlockPoller} (for a driver that
 * blocks for its replies) on {@link io.pm500.driver.kit.PollThreads}
 * (one timer keeping fixed rates, a small I/O pool and an elastic slow lane), {@link io.pm500.driver.kit.PollGrid}
 * (where in its interval each block is polled, so that meters share wake-ups), {@link io.pm500.driver.kit.MeterQueue}
 * (one meter's polls one at a time on the lane its health chooses, missed cycles counted),
 * {@link io.pm500.driver.kit.ConnectionHealth} (backoff, lost detection, fault reports, status),
 * {@link io.pm500.driver.kit.BlockIntervals} (the {@code <block>=<ms>} configuration) and
 * {@link io.pm500.driver.kit.MeterConfigurations} (a driver's meters: their configurations, pollers and status).
 */
@Export
@Version("3.0.0")
package io.pm500.driver.kit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
