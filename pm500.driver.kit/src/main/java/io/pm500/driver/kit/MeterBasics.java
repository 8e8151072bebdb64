package io.pm500.driver.kit;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import java.util.List;

/**
 * The settings every driver's meter has, checked by the same rules: id, address, timeout, lost-after and profile.
 *
 * @param profile null when it did not load (a problem says why)
 */
public record MeterBasics(String meterId, String host, int port, int timeoutMillis, int lostAfter,
        DeviceProfile profile) {

    /**
     * Checks the common settings; each problem is added to {@code problems}, naming the key, the value and the fix.
     *
     * @param portHint the protocol's usual port for the message, e.g. {@code Modbus TCP: 502}
     */
    public static MeterBasics check(String meterId, String host, int port, String portHint, int timeoutMillis,
            int lostAfter, String profile, List<String> problems) {
        String id = meterId == null ? "" : meterId.trim();
        if (id.isEmpty() || !id.matches("[A-Za-z0-9._:-]+")) {
            problems.add("meterId '" + meterId + "': use letters, digits and . _ : - only");
        }
        String h = host == null ? "" : host.trim();
        if (h.isEmpty() || h.chars().anyMatch(Character::isWhitespace)) {
            problems.add("host '" + host + "': give the meter's IP address or host name");
        }
        if (port < 1 || port > 65_535) {
            problems.add("port " + port + ": must be 1..65535 (" + portHint + ")");
        }
        if (timeoutMillis < BlockIntervals.MIN_INTERVAL_MILLIS) {
            problems.add("timeoutMillis " + timeoutMillis + ": must be at least " + BlockIntervals.MIN_INTERVAL_MILLIS);
        }
        if (lostAfter < 1) {
            problems.add("lostAfter " + lostAfter + ": must be at least 1");
        }
        DeviceProfile loaded = null;
        try {
            loaded = DeviceProfiles.resolve(profile);
        } catch (ProfileException e) {
            problems.add("profile: " + e.getMessage());
        }
        return new MeterBasics(id, h, port, timeoutMillis, lostAfter, loaded);
    }
}
