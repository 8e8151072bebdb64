package io.pm500.api.status;

/**
 * A configuration a bundle refused (a bad value): nothing it configures runs until it is fixed; a meter or asset
 * that was running keeps its previous configuration.
 *
 * @param factory the factory pid the configuration belongs to, e.g. {@code pm500.driver.modbus}
 * @param pid     the configuration's pid, e.g. {@code pm500.driver.modbus~m1}
 * @param reason  what is wrong and the fix, naming the key (and the file when it came from one)
 */
public record RefusedConfiguration(String factory, String pid, String reason) {
}
