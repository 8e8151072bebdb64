package io.pm500.api.profile;

/** What a point measures or reports; drives quality checks and naming downstream. */
public enum PointKind {
    VOLTAGE, CURRENT, ACTIVE_POWER, REACTIVE_POWER, APPARENT_POWER, POWER_FACTOR, FREQUENCY, PHASE_SEQUENCE,
    ENERGY, RUN_HOURS, STATUS_BITS, SETTING, IDENTITY
}
