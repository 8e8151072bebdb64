/**
 * The demo's servers (MQTT 5 broker, historian) in their own processes, SQL queries to the historian, and peers we
 * did not write (pymodbus Modbus TCP servers, the OpENer EtherNet/IP adapter, the Mosquitto MQTT broker, InfluxDB 1.x, a headless
 * Chromium): for the driver, sink and console tests, in their modules, inside Felix and at process level.
 */
@Version("1.3.0")
@Export
package io.pm500.testkit.process;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
