package io.pm500.api.profile;

/**
 * One value in a block: which point, how it is encoded and, for Modbus, where.
 *
 * @param point     the point id (a key of the profile's {@code points})
 * @param type      the encoding
 * @param address   Modbus only: the documented address (e.g. 301281, or 0 with {@code addressBase} 0); {@code null}
 *                  for CIP fields, which follow each other
 * @param words     {@link FieldType#STRING} only: its length in words
 * @param scale     the decoded number is multiplied by it (default 1)
 * @param factor    {@link FieldType#REAL_PAIR} only: value = high × factor + low
 * @param wordOrder overrides the protocol's word order for this field; {@code null} to inherit it
 * @param transform a conversion a scale cannot express
 */
public record Field(String point, FieldType type, Integer address, int words, double scale, double factor,
        WordOrder wordOrder, Transform transform) {
    public Field {
        scale = scale == 0 ? 1 : scale;
        transform = transform == null ? Transform.NONE : transform;
    }

    /** Words the field occupies. */
    public int wordCount() {
        return type.words(words);
    }
}
