/**
 * The demo's servers (MQTT 5 broker, historian) in their own processes, SQL queries to the historian, and Modbus TCP
 * servers we did not write (pymodbus): for the driver and sink tests inside Felix, in their modules and at process
 * level.
 */
@Version("1.1.0")
@Export
package io.pm500.testkit.process;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
