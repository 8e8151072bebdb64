package io.pm500.api.profile;

/** Byte order of CIP data. */
public enum Endianness {
    /** The PM500's, as Logix's (1420-UM001 E p37). */
    LITTLE_ENDIAN,
    BIG_ENDIAN
}
