package io.pm500.api.reading;

/** The conductor a metric belongs to. */
public enum Phase {
    L1, L2, L3, N,
    /** A three-phase total or average. */
    TOTAL,
    /** Not phase-related (frequency, status words, identity). */
    NONE
}
