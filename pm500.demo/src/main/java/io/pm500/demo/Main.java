package io.pm500.demo;

import java.util.Arrays;

/** {@code ./pm500 demo|watch|broker|historian}: see the README and {@code docs/operations.md}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // Tahu's and HiveMQ's jars each carry a logback.xml: name ours
        System.setProperty("logback.configurationFile", "pm500-demo-logback.xml");
        String command = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        int code;
        try {
            code = dispatch(command, rest);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("pm500 " + command + ": " + e.getMessage());
            code = 2;
        }
        System.exit(code);
    }

    private static int dispatch(String command, String[] rest) throws Exception {
        return switch (command) {
            case "demo" -> Demo.run(new Options(rest, "meters", "port", "home", "gateway", "sim-port",
                    "historian-port", "console-port", "messaging"));
            case "watch" -> Watch.run(new Options(rest, "uri", "latency"));
            case "broker" -> Demo.broker(new Options(rest, "port", "home", "tls"));
            case "historian" -> Demo.historian(new Options(rest, "port", "home"));
            default -> {
                System.err.println("usage: pm500 demo [--meters N] [--port P] [--historian-port H] [--console-port C]"
                        + " [--messaging connected|unconnected|io-input-only|io-listen-only]   gateway +"
                        + " simulated meters + MQTT broker + historian");
                System.err.println("       pm500 watch [--uri tcp://127.0.0.1:1883] [--latency SECONDS]");
                System.err.println("       pm500 broker [--port P] [--tls DIR]   only the MQTT 5 broker, for a gateway"
                        + " of your own (--tls: a test CA, client certificate and a TLS listener requiring it)");
                System.err.println("       pm500 historian [--port P]   only the historian (QuestDB, InfluxDB line"
                        + " protocol), for a gateway of your own");
                yield 2;
            }
        };
    }
}
