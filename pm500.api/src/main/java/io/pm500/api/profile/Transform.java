package io.pm500.api.profile;

/** A conversion of the decoded number that a plain scale cannot express. */
public enum Transform {
    NONE,
    /** Hundreds are hours, the remainder minutes: 12345 → 123 h 45 min → 123.75 h (PM500 hours counter). */
    HOURS_MINUTES
}
