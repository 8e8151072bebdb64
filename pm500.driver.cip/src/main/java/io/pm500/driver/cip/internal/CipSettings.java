package io.pm500.driver.cip.internal;

import io.pm500.api.poll.BlockIntervals;
import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipDecoder;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.DeviceProfiles;
import io.pm500.api.profile.ProfileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A meter's configuration, checked: every problem is named with the key and the fix, and nothing is polled until
 * all of it is right.
 */
record CipSettings(String meterId, String host, int port, int timeoutMillis, Messaging messaging, int lostAfter,
        boolean identityMustMatch, boolean enabled, DeviceProfile profile, List<BlockPlan> blocks) {

    /** How the assemblies are read. */
    enum Messaging {
        /** Class 3 explicit messages over one Forward_Open'd connection per meter. */
        CONNECTED,
        /** Unconnected (UCMM) Get_Attribute_Single requests, no CIP connection. */
        UNCONNECTED
    }

    /** One assembly to poll: how often (0 = once per connection) and its decoder. */
    record BlockPlan(String blockId, long intervalMillis, CipBlock block, CipDecoder decoder) {
    }

    /**
     * Block id → interval in ms (0 = once per connection), in poll order; the identity, read when a session opens,
     * first.
     */
    Map<String, Long> intervals() {
        Map<String, Long> intervals = new LinkedHashMap<>();
        intervals.put(CipPoller.IDENTITY_BLOCK, 0L);
        blocks.forEach(b -> intervals.put(b.blockId(), b.intervalMillis()));
        return intervals;
    }

    /** The longest time between two requests while all is well: the shortest periodic interval (none: 10 s). */
    Duration requestGap() {
        return Duration.ofMillis(blocks.stream().mapToLong(BlockPlan::intervalMillis).filter(i -> i > 0).min()
                .orElse(ClassThree.MIN_WATCHDOG_SECONDS * 1000L));
    }

    String endpoint() {
        return host + ":" + port + " " + messaging.name().toLowerCase(Locale.ROOT);
    }

    static CipSettings of(CipMeterComponent.Config c) {
        List<String> problems = new ArrayList<>();
        String meterId = c.meterId() == null ? "" : c.meterId().trim();
        if (meterId.isEmpty() || !meterId.matches("[A-Za-z0-9._:-]+")) {
            problems.add("meterId '" + c.meterId() + "': use letters, digits and . _ : - only");
        }
        String host = c.host() == null ? "" : c.host().trim();
        if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
            problems.add("host '" + c.host() + "': give the meter's IP address or host name");
        }
        if (c.port() < 1 || c.port() > 65_535) {
            problems.add("port " + c.port() + ": must be 1..65535 (EtherNet/IP: 44818)");
        }
        if (c.timeoutMillis() < BlockIntervals.MIN_INTERVAL_MILLIS) {
            problems.add("timeoutMillis " + c.timeoutMillis() + ": must be at least "
                    + BlockIntervals.MIN_INTERVAL_MILLIS);
        }
        if (c.lostAfter() < 1) {
            problems.add("lostAfter " + c.lostAfter() + ": must be at least 1");
        }
        Messaging messaging = null;
        try {
            messaging = Messaging.valueOf(c.messaging().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problems.add("messaging '" + c.messaging() + "': connected or unconnected");
        }
        boolean identityMustMatch = c.identityCheck().trim().equalsIgnoreCase("error");
        if (!identityMustMatch && !c.identityCheck().trim().equalsIgnoreCase("warn")) {
            problems.add("identityCheck '" + c.identityCheck() + "': error (refuse a meter of another kind) or warn");
        }
        DeviceProfile profile = null;
        try {
            profile = DeviceProfiles.resolve(c.profile());
        } catch (ProfileException e) {
            problems.add("profile: " + e.getMessage());
        }
        List<BlockPlan> blocks = new ArrayList<>();
        if (profile != null) {
            Map<String, Long> intervals = BlockIntervals.parse(c.blockIntervals(), "EtherNet/IP",
                    profile.cip().blocks().stream().map(CipBlock::id).toList(), problems);
            for (CipBlock block : profile.cip().blocks()) {
                Long interval = intervals.get(block.id());
                if (interval != null) {
                    blocks.add(new BlockPlan(block.id(), interval, block, new CipDecoder(profile.cip(), block)));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("EtherNet/IP meter '" + c.meterId() + "' not started: "
                    + String.join("; ", problems));
        }
        return new CipSettings(meterId, host, c.port(), c.timeoutMillis(), messaging, c.lostAfter(),
                identityMustMatch, c.enabled(), profile, List.copyOf(blocks));
    }
}
