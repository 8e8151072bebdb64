/** The EtherNet/IP driver's implementation; nothing here is exported. */
package io.pm500.driver.cip.internal;
