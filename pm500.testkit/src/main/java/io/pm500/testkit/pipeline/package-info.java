/**
 * The pipeline's end of the driver contract, for driver tests and load programs: what a driver told it, kept.
 */
@Version("1.1.0")
@Export
package io.pm500.testkit.pipeline;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
