package io.pm500.api.reading;

/**
 * Quality of a reading, with the code Sparkplug B carries in the {@code Quality} metric property
 * (§6.4.9.1: 0 bad, 192 good, 500 stale). Sparkplug defines no "uncertain"; 64 is the OPC quality code
 * for it, which Ignition and OPC-based hosts understand.
 */
public enum Quality {
    /** A fresh value within its physical range. */
    GOOD(192),
    /** A fresh value that is out of physical range (PF above 1, negative voltage, NaN): kept and flagged. */
    UNCERTAIN(64),
    /** Acquisition failed; there is no trustworthy value. */
    BAD(0),
    /** The value is older than its freshness limit, or the meter is lost. */
    STALE(500);

    /** {@code values()} copies its array at every call; {@link #ofCode} runs for every reading an outbox decodes. */
    private static final Quality[] ALL = values();

    private final int code;

    Quality(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /**
     * The less trustworthy of this and {@code other}, in the order GOOD, UNCERTAIN, STALE, BAD: the quality of
     * anything made of several readings (a derived metric, a historian line, a message).
     */
    public Quality worse(Quality other) {
        return trust() <= other.trust() ? this : other;
    }

    private int trust() {
        return switch (this) {
            case GOOD -> 3;
            case UNCERTAIN -> 2;
            case STALE -> 1;
            case BAD -> 0;
        };
    }

    /** The quality for a code; unknown codes are {@link #BAD}, the safe reading of a code we cannot interpret. */
    public static Quality ofCode(int code) {
        for (Quality q : ALL) {
            if (q.code == code) {
                return q;
            }
        }
        return BAD;
    }
}
