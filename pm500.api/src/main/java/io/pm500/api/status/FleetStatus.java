package io.pm500.api.status;

import java.time.Instant;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The fleet agent's state: which release the gateway runs, which is staged, the last good one and the last failure
 * (a refused release or a rollback). Releases are the repository index's increments; 0 is the jar's own bundle set.
 * Made with {@link #builder}.
 */
@ProviderType
public interface FleetStatus {

    /** The release applied and healthy; 0: the gateway jar's bundles. */
    long currentRelease();

    /** Its name in the index; empty for the jar's. */
    String currentName();

    /** The release a rollback returns to. */
    long lastGoodRelease();

    /** A release downloaded and verified, waiting for the maintenance window; 0: none. */
    long stagedRelease();

    /** {@code IDLE}, {@code APPLYING} or {@code GATING}. */
    String phase();

    /** The last release refused or rolled back; 0: none. */
    long failedRelease();

    /** When it failed; {@code null} if none did. */
    Instant failedAt();

    /** Why; empty if none failed. */
    String failure();

    /** The last poll of the repository; {@code null} before the first. */
    Instant lastPoll();

    /** What went wrong with it (no repository answered, a bad signature); empty when it went well. */
    String lastPollProblem();

    static Builder builder(long currentRelease, String phase) {
        return new Builder(currentRelease, phase);
    }

    /** Collects a fleet status; what is not set is 0, empty or {@code null} as each method says. */
    final class Builder {
        private final long currentRelease;
        private final String phase;
        private String currentName = "";
        private long lastGoodRelease;
        private long stagedRelease;
        private long failedRelease;
        private Instant failedAt;
        private String failure = "";
        private Instant lastPoll;
        private String lastPollProblem = "";

        private Builder(long currentRelease, String phase) {
            if (phase == null) {
                throw new IllegalArgumentException("fleet status needs a phase");
            }
            this.currentRelease = currentRelease;
            this.phase = phase;
        }

        public Builder currentName(String name) {
            currentName = name == null ? "" : name;
            return this;
        }

        public Builder lastGood(long release) {
            lastGoodRelease = release;
            return this;
        }

        public Builder staged(long release) {
            stagedRelease = release;
            return this;
        }

        public Builder failed(long release, Instant at, String why) {
            failedRelease = release;
            failedAt = at;
            failure = why == null ? "" : why;
            return this;
        }

        public Builder lastPoll(Instant at, String problem) {
            lastPoll = at;
            lastPollProblem = problem == null ? "" : problem;
            return this;
        }

        public FleetStatus build() {
            return new FleetStatusValue(currentRelease, currentName, lastGoodRelease, stagedRelease, phase,
                    failedRelease, failedAt, failure, lastPoll, lastPollProblem);
        }
    }
}

/** The one implementation, made by {@link FleetStatus.Builder}. */
record FleetStatusValue(long currentRelease, String currentName, long lastGoodRelease, long stagedRelease,
        String phase, long failedRelease, Instant failedAt, String failure, Instant lastPoll, String lastPollProblem)
        implements FleetStatus {
}
