package io.pm500.api.profile;

/** Order of the 16-bit words of a multi-word value. */
public enum WordOrder {
    /** Most significant word first (Modbus convention, PM1000/3000). */
    HIGH_FIRST,
    /** Least significant word first. */
    LOW_FIRST
}
