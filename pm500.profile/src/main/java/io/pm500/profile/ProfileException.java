package io.pm500.profile;

/** A profile file that cannot be used; the message names the file, the place (line, field) and the fix. */
public final class ProfileException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProfileException(String message, Throwable cause) {
        super(message, cause);
    }
}
