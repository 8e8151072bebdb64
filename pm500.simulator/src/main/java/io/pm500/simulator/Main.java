package io.pm500.simulator;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;

/**
 * The standalone simulator: {@code java -jar pm500.simulator-<version>-standalone.jar --meters 50 --base-port 20000
 * [--host 127.0.0.1] [--seed 1] [--profile pm500|FILE]}; fault commands ({@link FaultCommands}) on standard input.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int meters = 1;
        int basePort = 20_000;
        String host = "127.0.0.1";
        long seed = 1;
        String profileName = DeviceProfiles.PM500;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--meters" -> meters = Integer.parseInt(require(args[i], value));
                case "--base-port" -> basePort = Integer.parseInt(require(args[i], value));
                case "--host" -> host = require(args[i], value);
                case "--seed" -> seed = Long.parseLong(require(args[i], value));
                case "--profile" -> profileName = require(args[i], value);
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (meters < 1 || basePort < 0 || basePort + 2 * meters > 65_536) {
            usage("--meters must be at least 1 and --base-port + 2 × meters at most 65536");
        }
        DeviceProfile profile;
        try {
            profile = DeviceProfiles.resolve(profileName);
        } catch (ProfileException e) {
            usage(e.getMessage());
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (Simulator simulator = new Simulator(profile, meters, host, basePort, seed, System::nanoTime)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "pm500-sim-stop"));
            for (int i = 0; i < Math.min(meters, 5); i++) {
                System.out.printf("meter %d: serial %s, Modbus %s:%d unit %d, EtherNet/IP %s:%d%n", i,
                        simulator.meters().get(i).serial(), host, simulator.modbusPort(i), Simulator.UNIT_ID, host,
                        simulator.enipPort(i));
            }
            System.out.printf("%d meters running; Ctrl-C stops them. %s%n", meters, FaultCommands.HELP);
            FaultCommands commands = new FaultCommands(simulator);
            Thread console = new Thread(() -> {
                try (java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null;) {
                        System.out.println(commands.execute(line));
                    }
                } catch (IOException e) {
                    // no console: run until stopped
                }
            }, "pm500-sim-console");
            console.setDaemon(true);
            console.start();
            stop.await();
        }
    }

    private static String require(String option, String value) {
        if (value == null) {
            usage(option + " needs a value");
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("pm500 simulator: " + problem);
        System.err.println("usage: --meters N --base-port P [--host 127.0.0.1] [--seed S] [--profile pm500|FILE]");
        System.exit(2);
    }
}
