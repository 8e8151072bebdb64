/** The Modbus TCP driver: one configured component per meter, polling on a shared bounded pool. */
package io.pm500.driver.modbus.internal;
