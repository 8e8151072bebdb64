/**
 * Replies decoded by a profile: {@link io.pm500.profile.codec.CipDecoder} (an assembly's bytes) and
 * {@link io.pm500.profile.codec.ModbusDecoder} (a block's registers) make a {@code Sample} — pure, never throwing: a
 * reply that does not fit becomes a {@code PROTOCOL_ERROR} sample — and encode values for the simulator.
 */
@Export
@Version("1.0.0")
package io.pm500.profile.codec;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
