package io.pm500.driver.modbus.internal;

/**
 * One Modbus read: function code, first wire address, register count.
 */
record ReadRequest(int functionCode, int start, int count) {
}
