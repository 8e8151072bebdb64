/**
 * What every test waits with: {@link io.pm500.testkit.Await}.
 */
@Version("1.0.0")
@Export
package io.pm500.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
