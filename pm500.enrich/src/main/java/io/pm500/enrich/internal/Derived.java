package io.pm500.enrich.internal;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A metric computed from others of the same sample, e.g. {@code voltage.unbalance=unbalance(voltage.l1n,
 * voltage.l2n,voltage.l3n)}. Computed only when every input is in the sample; its quality is the worst input's.
 *
 * @param metric   the derived metric's name
 * @param function how it is computed
 * @param inputs   the metrics it is computed from
 */
record Derived(String metric, Function function, List<String> inputs) {
    private static final Pattern SYNTAX = Pattern.compile("\\s*([\\w.\\-]+)\\s*=\\s*(\\w+)\\s*\\(([^)]*)\\)\\s*");

    enum Function {
        /** Largest deviation from the average, in percent of the average (NEMA MG 1 definition). */
        UNBALANCE,
        /** Sum of the inputs, in the first input's unit. */
        SUM,
        /** Average of the inputs, in the first input's unit. */
        AVG;

        double apply(double[] v, int n) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += v[i];
            }
            if (this == SUM) {
                return sum;
            }
            double avg = sum / n;
            if (this == AVG) {
                return avg;
            }
            double maxDeviation = 0;
            for (int i = 0; i < n; i++) {
                maxDeviation = Math.max(maxDeviation, Math.abs(v[i] - avg));
            }
            return avg == 0 ? 0 : 100 * maxDeviation / Math.abs(avg);
        }
    }

    Derived {
        inputs = List.copyOf(inputs);
    }

    static Derived parse(String spec) {
        Matcher m = SYNTAX.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("derived metric '" + spec + "' is not <metric>=<function>(<metric>,…),"
                    + " e.g. voltage.unbalance=unbalance(voltage.l1n,voltage.l2n,voltage.l3n)");
        }
        Function f;
        try {
            f = Function.valueOf(m.group(2).toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("derived metric '" + spec + "': unknown function '" + m.group(2)
                    + "'; use unbalance, sum or avg", e);
        }
        List<String> inputs = Arrays.stream(m.group(3).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
        if (inputs.size() < 2) {
            throw new IllegalArgumentException("derived metric '" + spec + "' needs at least two input metrics");
        }
        return new Derived(m.group(1), f, inputs);
    }
}
