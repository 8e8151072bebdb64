package io.pm500.driver.cip.internal;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.driver.kit.BlockIntervals;
import io.pm500.driver.kit.MeterBasics;
import io.pm500.driver.kit.PollBlock;
import io.pm500.profile.codec.CipDecoder;
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
    record BlockPlan(String blockId, long intervalMillis, CipBlock block, CipDecoder decoder) implements PollBlock {
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
        MeterBasics basics = MeterBasics.check(c.meterId(), c.host(), c.port(), "EtherNet/IP: 44818",
                c.timeoutMillis(), c.lostAfter(), c.profile(), problems);
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
        DeviceProfile profile = basics.profile();
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
        return new CipSettings(basics.meterId(), basics.host(), c.port(), c.timeoutMillis(), messaging, c.lostAfter(),
                identityMustMatch, c.enabled(), profile, List.copyOf(blocks));
    }
}
