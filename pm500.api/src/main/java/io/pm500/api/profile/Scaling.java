package io.pm500.api.profile;

/** Whether a value is on the secondary side of the instrument transformers and which ratio brings it to primary. */
public enum Scaling {
    /** Already a primary-side value (the PM500 applies its own CT/VT ratios). */
    NONE, CT, VT, CT_VT
}
