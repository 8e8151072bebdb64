package io.pm500.api.sample;

/** Argument checks shared by the value types of this package. */
final class Names {
    private Names() {
    }

    static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }
}
