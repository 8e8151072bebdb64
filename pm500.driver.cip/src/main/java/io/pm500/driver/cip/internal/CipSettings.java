package io.pm500.driver.cip.internal;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipIo;
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
        boolean identityMustMatch, boolean enabled, DeviceProfile profile, List<BlockPlan> blocks,
        int ioMultiplierCode, boolean ioMulticast) {

    /** How the assemblies are read. */
    enum Messaging {
        /** Class 3 explicit messages over one Forward_Open'd connection per meter. */
        CONNECTED,
        /** Unconnected (UCMM) Get_Attribute_Single requests, no CIP connection. */
        UNCONNECTED,
        /** Class 1: the meter produces each assembly at its RPI to the gateway, which sends heartbeats. */
        IO_INPUT_ONLY,
        /** Class 1 like input-only, beside a connection of another originator that owns the assembly. */
        IO_LISTEN_ONLY;

        boolean io() {
            return this == IO_INPUT_ONLY || this == IO_LISTEN_ONLY;
        }

        /** As the configuration spells it. */
        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One assembly to poll: how often (0 = once per connection) and its decoder. In the Class 1 modes a periodic
     * block has an RPI, and its poll only opens the connection or checks its watchdog: every RPI, but not more often
     * than half the watchdog (RPI × multiplier) needs.
     */
    record BlockPlan(String blockId, long intervalMillis, long rpiMillis, CipBlock block, CipDecoder decoder)
            implements PollBlock {
        @Override
        public String describe() {
            return rpiMillis > 0 && rpiMillis != intervalMillis ? blockId + "=RPI " + rpiMillis + "ms" : blockId + "="
                    + intervalMillis + "ms";
        }
    }

    /**
     * Block id → interval in ms (0 = once per connection), in poll order; the identity, read when a session opens,
     * first.
     */
    Map<String, Long> intervals() {
        Map<String, Long> intervals = new LinkedHashMap<>();
        intervals.put(CipPoller.IDENTITY_BLOCK, 0L);
        // Class 1 hands unchanged data on once per report interval, however short the RPI
        long reportMillis = ClassOne.REPORT_NANOS / 1_000_000;
        blocks.forEach(b -> intervals.put(b.blockId(), messaging.io() && b.rpiMillis() > 0
                ? Math.max(b.rpiMillis(), reportMillis) : b.intervalMillis()));
        return intervals;
    }

    /** The longest time between two requests while all is well: the shortest periodic interval (none: 10 s). */
    Duration requestGap() {
        return Duration.ofMillis(blocks.stream().mapToLong(BlockPlan::intervalMillis).filter(i -> i > 0).min()
                .orElse(ClassThree.MIN_WATCHDOG_SECONDS * 1000L));
    }

    String endpoint() {
        return host + ":" + port + " " + messaging.label();
    }

    /** How many failed polls make the meter LOST: in Class 1 one expired connection watchdog (RPI × multiplier). */
    int lostAfterFailures() {
        return messaging.io() ? 1 : lostAfter;
    }

    static CipSettings of(CipMeterComponent.Config c) {
        List<String> problems = new ArrayList<>();
        MeterBasics basics = MeterBasics.check(c.meterId(), c.host(), c.port(), "EtherNet/IP: 44818",
                c.timeoutMillis(), c.lostAfter(), c.profile(), problems);
        Messaging messaging = null;
        try {
            messaging = Messaging.valueOf(c.messaging().trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            problems.add("messaging '" + c.messaging() + "': connected, unconnected, io-input-only or io-listen-only");
        }
        int multiplierCode = Integer.numberOfTrailingZeros(c.ioTimeoutMultiplier()) - 2;
        if (Integer.bitCount(c.ioTimeoutMultiplier()) != 1 || multiplierCode < 0 || multiplierCode > 7) {
            problems.add("ioTimeoutMultiplier " + c.ioTimeoutMultiplier() + ": 4, 8, 16, 32, 64, 128, 256 or 512");
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
                    blocks.add(new BlockPlan(block.id(), interval, interval, block,
                            new CipDecoder(profile.cip(), block)));
                }
            }
        }
        if (messaging != null && messaging.io() && profile != null) {
            checkIo(messaging, profile, blocks, problems);
            if (c.ioMulticast() && profile.cip().io() != null && !profile.cip().io().multicast()) {
                problems.add("ioMulticast: the profile '" + profile.model() + "' says the meter does not produce"
                        + " multicast; switch it off");
            }
            int code = Math.max(0, multiplierCode);
            blocks.replaceAll(b -> b.rpiMillis() == 0 ? b : new BlockPlan(b.blockId(),
                    Math.max(b.rpiMillis(), b.rpiMillis() * (4L << code) / 2), b.rpiMillis(), b.block(),
                    b.decoder()));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("EtherNet/IP meter '" + c.meterId() + "' not started: "
                    + String.join("; ", problems));
        }
        return new CipSettings(basics.meterId(), basics.host(), c.port(), c.timeoutMillis(), messaging, c.lostAfter(),
                identityMustMatch, c.enabled(), profile, List.copyOf(blocks), multiplierCode, c.ioMulticast());
    }

    /** Class 1: the profile says how, and every block listed is an assembly with an RPI the meter accepts. */
    private static void checkIo(Messaging messaging, DeviceProfile profile, List<BlockPlan> blocks,
            List<String> problems) {
        CipIo io = profile.cip().io();
        if (io == null) {
            problems.add("messaging " + messaging.label() + ": the profile '" + profile.model() + "' has no cip.io"
                    + " section (the meter's Class 1 connection points): add it, or use connected");
            return;
        }
        for (BlockPlan b : blocks) {
            if (b.rpiMillis() == 0) {
                continue; // read once per session by an explicit request
            }
            if (b.block().classId() != 4 || b.block().attribute() != 3) {
                problems.add("blockIntervals " + b.blockId() + ": not an assembly, so not produced over Class 1;"
                        + " leave it out in " + messaging.label());
            } else if (b.rpiMillis() < io.minRpiMillis() || b.rpiMillis() > io.maxRpiMillis()) {
                problems.add("blockIntervals " + b.blockId() + "=" + b.rpiMillis() + ": the RPI in "
                        + messaging.label() + " must be " + io.minRpiMillis() + ".." + io.maxRpiMillis()
                        + " ms for this profile");
            }
        }
    }
}
