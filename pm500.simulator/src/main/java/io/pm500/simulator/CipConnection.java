package io.pm500.simulator;

/**
 * One Class 3 connection in a simulated meter's connection table, as a device's diagnostics show it.
 *
 * @param originatorVendorId the originator's vendor id from its Forward_Open
 * @param originatorSerial   the originator's serial number
 * @param connectionSerial   the connection serial number
 * @param rpiMicros          the O→T requested packet interval
 * @param timeoutMillis      RPI × timeout multiplier: how long it stays open without a request
 */
public record CipConnection(int originatorVendorId, long originatorSerial, int connectionSerial, long rpiMicros,
        long timeoutMillis) {
}
