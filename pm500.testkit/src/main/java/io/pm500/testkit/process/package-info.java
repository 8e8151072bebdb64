/**
 * The demo's servers (MQTT 5 broker, historian) in their own processes, and SQL queries to the historian: for the
 * sink tests inside Felix and at process level.
 */
@Version("1.0.0")
@Export
package io.pm500.testkit.process;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
