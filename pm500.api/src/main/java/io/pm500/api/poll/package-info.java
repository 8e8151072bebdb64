/**
 * What every driver polls with, so all drivers follow the same rules: {@link io.pm500.api.poll.PollThreads}
 * (one timer keeping fixed rates, a small I/O pool), {@link io.pm500.api.poll.MeterQueue} (one meter's polls one at a
 * time, missed cycles counted), {@link io.pm500.api.poll.ConnectionHealth} (backoff, lost detection, status) and
 * {@link io.pm500.api.poll.BlockIntervals} (the {@code <block>=<ms>} configuration).
 */
@Export
@Version("3.0.0")
package io.pm500.api.poll;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
