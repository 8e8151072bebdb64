package io.pm500.simulator;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The text commands that switch faults at run time (the standalone simulator reads them from its console):
 * <pre>
 * fault &lt;meter|all&gt; noreply|garbage|truncate|freeze on|off
 * fault &lt;meter|all&gt; delay &lt;ms&gt;
 * fault &lt;meter|all&gt; cip &lt;general status, e.g. 0x0C; 0 = off&gt;
 * fault &lt;meter|all&gt; modbus &lt;exception code, e.g. 6; 0 = off&gt;
 * fault &lt;meter|all&gt; close | clear
 * fault &lt;meter|all&gt; reboot &lt;seconds&gt;
 * status [meter]
 * </pre>
 */
public final class FaultCommands {
    public static final String HELP = "commands: fault <meter|all> noreply|garbage|truncate|freeze|hangup on|off"
            + " | fault <meter|all> delay <ms> | fault <meter|all> cip <status> | fault <meter|all> modbus <code>"
            + " | fault <meter|all> close|clear | fault <meter|all> reboot <seconds> | status [meter]";

    private final Simulator simulator;

    public FaultCommands(Simulator simulator) {
        this.simulator = simulator;
    }

    /** Runs one command line; returns what to print. Never throws for bad input: it says what is wrong. */
    public String execute(String line) {
        String[] words = line.trim().toLowerCase(Locale.ROOT).split("\\s+");
        try {
            return switch (words[0]) {
                case "fault" -> fault(words);
                case "status" -> status(words);
                case "", "help" -> HELP;
                default -> "unknown command '" + words[0] + "'; " + HELP;
            };
        } catch (IllegalArgumentException e) {
            return "error: " + e.getMessage() + "; " + HELP;
        }
    }

    private String fault(String[] w) {
        if (w.length < 3) {
            throw new IllegalArgumentException("fault needs a meter and a fault");
        }
        List<SimulatedMeter> targets = meters(w[1]);
        String arg = w.length > 3 ? w[3] : null;
        for (SimulatedMeter meter : targets) {
            Faults f = meter.faults();
            switch (w[2]) {
                case "noreply" -> f.noReply(onOff(arg));
                case "garbage" -> f.garbage(onOff(arg));
                case "truncate" -> f.truncate(onOff(arg));
                case "freeze" -> f.freeze(onOff(arg));
                case "hangup" -> f.hangUpOnRead(onOff(arg));
                case "delay" -> f.delay(Duration.ofMillis(number(arg)));
                case "cip" -> f.cipStatus(number(arg));
                case "modbus" -> f.modbusException(number(arg));
                case "close" -> f.closeConnections();
                case "clear" -> f.clear();
                case "reboot" -> meter.reboot(Duration.ofSeconds(number(arg)));
                default -> throw new IllegalArgumentException("unknown fault '" + w[2] + "'");
            }
        }
        return targets.size() == 1 ? "meter " + targets.get(0).index() + ": " + targets.get(0).faults()
                : targets.size() + " meters: " + w[2] + (arg == null ? "" : " " + arg);
    }

    private String status(String[] w) {
        List<SimulatedMeter> targets = w.length > 1 ? meters(w[1]) : simulator.meters();
        StringBuilder b = new StringBuilder();
        for (SimulatedMeter m : targets) {
            b.append("meter ").append(m.index()).append(" serial ").append(m.serial()).append(" Modbus ")
                    .append(simulator.modbusPort(m.index())).append(" EtherNet/IP ")
                    .append(simulator.enipPort(m.index())).append(": ").append(m.faults()).append('\n');
        }
        return b.toString().stripTrailing();
    }

    private List<SimulatedMeter> meters(String which) {
        if (which.equals("all")) {
            return simulator.meters();
        }
        int index = number(which);
        if (index < 0 || index >= simulator.meters().size()) {
            throw new IllegalArgumentException("no meter " + which + " (0.." + (simulator.meters().size() - 1) + ")");
        }
        return List.of(simulator.meters().get(index));
    }

    private static boolean onOff(String arg) {
        if ("on".equals(arg)) {
            return true;
        }
        if ("off".equals(arg)) {
            return false;
        }
        throw new IllegalArgumentException("expected on or off, not '" + arg + "'");
    }

    private static int number(String arg) {
        if (arg == null) {
            throw new IllegalArgumentException("a number is missing");
        }
        try {
            return arg.startsWith("0x") ? Integer.parseInt(arg.substring(2), 16) : Integer.parseInt(arg);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + arg + "' is not a number");
        }
    }
}
