package io.pm500.demo;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} options; a bad number or an unknown option stops the program with a message. */
final class Options {
    private final Map<String, String> values = new HashMap<>();

    Options(String[] args, String... known) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
            }
            if (!java.util.List.of(known).contains(args[i].substring(2))) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: --"
                        + String.join(", --", known));
            }
            values.put(args[i].substring(2), args[++i]);
        }
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int number(String name, int fallback, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number from " + min + " to " + max
                    + ", got '" + v + "'");
        }
    }
}
