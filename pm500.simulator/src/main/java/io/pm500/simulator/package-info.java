/** Simulated PowerMonitor 500 meters: a physical model, Modbus TCP (j2mod) and EtherNet/IP front ends. */
package io.pm500.simulator;
