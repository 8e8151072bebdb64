package io.pm500.api.profile;

/** How a field is encoded. Sizes are in 16-bit words; a CIP field of N words takes 2N bytes. */
public enum FieldType {
    INT(1), UINT(1), DINT(2), UDINT(2), ULINT(4), REAL(2),
    /** Two REALs, high part first: value = high × factor + low (PM500 energy assembly). */
    REAL_PAIR(4),
    /** {@code words} words of two ASCII characters each, high byte first; trailing NULs and blanks dropped. */
    STRING(0);

    private final int words;

    FieldType(int words) {
        this.words = words;
    }

    /** Words this type takes; for {@link #STRING} the field's own {@code words}. */
    int words(int stringWords) {
        return this == STRING ? stringWords : words;
    }
}
