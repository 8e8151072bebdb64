package io.pm500.api.status;

/**
 * A configuration a bundle refused (a bad value) until it is fixed: a new meter is not polled, a meter polling keeps
 * its previous settings; an asset entry is left out of the registry (its meter is published under its meter id).
 *
 * @param factory the factory pid the configuration belongs to, e.g. {@code pm500.driver.modbus}
 * @param pid     the configuration's pid, e.g. {@code pm500.driver.modbus~m1}
 * @param reason  what is wrong and the fix, naming the key (and the file when it came from one)
 */
public record RefusedConfiguration(String factory, String pid, String reason) {
}
