package io.pm500.api.sample;

/**
 * A decoded point value. Three shapes cover what meters report: measurements ({@link Real}), counters
 * and bit words ({@link Int}, exact to 64 bits so energy counters never lose a Wh) and identification
 * strings ({@link Text}).
 */
public sealed interface Value permits Value.Real, Value.Int, Value.Text {

    /** A floating-point measurement; NaN and infinities are representable so quality stamping can see them. */
    record Real(double value) implements Value {
        @Override
        public double asDouble() {
            return value;
        }
    }

    /** An exact integer: counter, enumeration or bit word. */
    record Int(long value) implements Value {
        @Override
        public double asDouble() {
            return value;
        }
    }

    /** Text such as a serial number or firmware string. */
    record Text(String value) implements Value {
        public Text {
            if (value == null) {
                throw new IllegalArgumentException("text value must not be null");
            }
        }

        /** Text has no numeric value; callers check {@link #isNumeric()} first. */
        @Override
        public double asDouble() {
            throw new UnsupportedOperationException("text value '" + value + "' has no numeric value");
        }
    }

    static Value of(double value) {
        return new Real(value);
    }

    static Value of(long value) {
        return new Int(value);
    }

    static Value of(String value) {
        return new Text(value);
    }

    /** The value as a double, for numeric values. */
    double asDouble();

    default boolean isNumeric() {
        return !(this instanceof Text);
    }

    /** True for a numeric value that is NaN or infinite: kept, but never a GOOD reading. */
    default boolean isNonFinite() {
        return this instanceof Real r && !Double.isFinite(r.value());
    }
}
