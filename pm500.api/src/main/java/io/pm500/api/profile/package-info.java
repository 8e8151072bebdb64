/**
 * Device profiles: what a meter model exposes (its EtherNet/IP assemblies and Modbus registers, each point's
 * unit, phase and kind) as data, loaded from JSON, and the pure decoders both drivers and the simulator use.
 */
@Export
@Version("1.0.0")
package io.pm500.api.profile;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
