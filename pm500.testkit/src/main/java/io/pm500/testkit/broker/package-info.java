/** An MQTT 5 broker in its own process, for tests of the MQTT sinks. */
@Version("1.0.0")
@Export
package io.pm500.testkit.broker;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
