package io.pm500.sink.sparkplug.internal;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a host's NCMD or DCMD asks of this node, read from the command's metrics: the node accepts Node
 * Control/Rebirth, Next Server and Scan Rate (≥ 1000 ms), and for a device only Device Control/Rebirth (meters are
 * read-only); anything else is logged as ignored.
 */
final class Commands {
    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);

    /**
     * An NCMD's requests: several rebirths in one message are one.
     *
     * @param scanRate the new health interval in ms; null when not asked for
     */
    record Node(boolean rebirth, boolean nextServer, Long scanRate) {
    }

    private Commands() {
    }

    static Node node(String sinkName, List<Payloads.Command> metrics) {
        boolean rebirth = false;
        boolean nextServer = false;
        Long scanRate = null;
        for (Payloads.Command m : metrics) {
            String name = m.name() != null ? m.name() : nodeMetricName(m.alias());
            if (Payloads.REBIRTH.equals(name) && Boolean.TRUE.equals(m.value())) {
                rebirth = true;
            } else if (Payloads.NEXT_SERVER.equals(name) && Boolean.TRUE.equals(m.value())) {
                nextServer = true;
            } else if (Payloads.SCAN_RATE.equals(name) && m.value() instanceof Long rate && rate >= 1000) {
                scanRate = rate;
            } else {
                LOG.warn("Sparkplug sink '{}': ignored NCMD metric {} = {} (this node accepts Node Control/Rebirth,"
                        + " Next Server and Scan Rate ≥ 1000 ms)", sinkName, name, m.value());
            }
        }
        return new Node(rebirth, nextServer, scanRate);
    }

    /**
     * Whether a DCMD asks the device for a rebirth, by name or by the device's rebirth alias (null: the device is
     * unknown to this node).
     */
    static boolean deviceRebirth(String sinkName, String deviceId, Long rebirthAlias, List<Payloads.Command> metrics) {
        boolean rebirth = false;
        for (Payloads.Command m : metrics) {
            boolean isRebirth = rebirthAlias != null && (Payloads.DEVICE_REBIRTH.equals(m.name())
                    || (m.name() == null && rebirthAlias.equals(m.alias())));
            if (isRebirth && Boolean.TRUE.equals(m.value())) {
                rebirth = true;
            } else {
                LOG.warn("Sparkplug sink '{}': ignored DCMD {} for device '{}' (meters are read-only; only Device"
                        + " Control/Rebirth is accepted)", sinkName, m.name() != null ? m.name() : m.alias(),
                        deviceId);
            }
        }
        return rebirth;
    }

    private static String nodeMetricName(Long alias) {
        if (alias == null) {
            return "";
        }
        if (alias == Payloads.ALIAS_NEXT_SERVER) {
            return Payloads.NEXT_SERVER;
        }
        return alias == Payloads.ALIAS_SCAN_RATE ? Payloads.SCAN_RATE : "alias " + alias;
    }
}
