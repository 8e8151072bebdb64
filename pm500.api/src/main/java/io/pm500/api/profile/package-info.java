/**
 * Device profiles as data: what a meter model exposes (its EtherNet/IP assemblies and Modbus registers, each point's
 * unit, phase and kind). The loader and the decoders live in the profile bundle ({@code io.pm500.profile}); a
 * {@link io.pm500.api.sample.MeterPlan} carries the profile a driver decodes a meter with.
 */
@Export
@Version("2.1.0")
package io.pm500.api.profile;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
