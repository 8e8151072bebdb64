package io.pm500.simulator;

import io.pm500.api.sample.Value;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A physically consistent three-phase load, advanced in fixed steps so that it is deterministic for a seed and a
 * sequence of times: voltages around a nominal with small noise, currents following a daily-ish load cycle,
 * P = V·I·PF per phase, S = V·I, Q = √(S² − P²), totals as sums, line-to-line voltages and the neutral current from
 * 120° phasors, energy counters integrating P and Q (never decreasing), a run-hours counter, maxima since start, and
 * demand values as a first-order average over the demand interval.
 */
final class MeterPhysics {
    static final long STEP_NANOS = 100_000_000L; // the PM500 refreshes its display every 100 ms
    private static final double[] PHASE_OFFSET = { 0, 2.1, 4.2 };

    private final SplittableRandom random;
    private final double nominalVoltage;
    private final double nominalFrequency;
    private final double baseCurrent;
    private final double[] imbalance = new double[3];
    private final double demandSeconds;

    private long nanos;
    private final double[] v = new double[3];
    private final double[] i = new double[3];
    private final double[] pf = new double[3];
    private double frequency;
    private double activeWh;
    private double reactiveVarh;
    private double partialActiveWh;
    private double partialReactiveVarh;
    private double runHours;
    private final Map<String, Double> max = new HashMap<>();
    private final Map<String, Double> demand = new HashMap<>();
    private Map<String, Double> realtime = Map.of();

    /**
     * @param seed             makes the meter's numbers reproducible
     * @param nominalVoltage   line-to-neutral volts (230, 120, 400 …)
     * @param nominalFrequency 50 or 60
     * @param startWh          the energy counter at start (a meter is never new)
     * @param demandSeconds    the demand interval
     */
    MeterPhysics(long seed, double nominalVoltage, double nominalFrequency, double startWh, double demandSeconds) {
        this.random = new SplittableRandom(seed);
        this.nominalVoltage = nominalVoltage;
        this.nominalFrequency = nominalFrequency;
        this.baseCurrent = 40 + random.nextDouble() * 160;
        for (int p = 0; p < 3; p++) {
            imbalance[p] = (random.nextDouble() - 0.5) * 0.1;
        }
        this.activeWh = startWh;
        this.reactiveVarh = startWh * 0.3;
        this.runHours = startWh / (baseCurrent * nominalVoltage * 3 * 0.6);
        this.demandSeconds = demandSeconds;
        step(0);
    }

    /** How many steps the model has taken: identifies the present values. */
    synchronized long step() {
        return nanos / STEP_NANOS;
    }

    /** Moves the model forward to {@code nanos} (since the simulator started) in fixed steps. */
    synchronized void advanceTo(long targetNanos) {
        while (nanos + STEP_NANOS <= targetNanos) {
            nanos += STEP_NANOS;
            step(STEP_NANOS / 1e9);
        }
    }

    private void step(double dt) {
        double t = nanos / 1e9;
        double load = 0.6 + 0.3 * Math.sin(2 * Math.PI * t / 3600);
        for (int p = 0; p < 3; p++) {
            v[p] = nominalVoltage * (1 + 0.01 * Math.sin(2 * Math.PI * t / 600 + PHASE_OFFSET[p])
                    + 0.002 * random.nextGaussian());
            i[p] = Math.max(0, baseCurrent * load * (1 + imbalance[p]) * (1 + 0.01 * random.nextGaussian()));
            pf[p] = Math.min(0.999, 0.92 + 0.03 * Math.sin(2 * Math.PI * t / 900 + PHASE_OFFSET[p])
                    + 0.005 * random.nextGaussian());
        }
        frequency = nominalFrequency + 0.02 * Math.sin(2 * Math.PI * t / 120) + 0.002 * random.nextGaussian();
        Map<String, Double> now = compute();
        double pTotal = now.get("power.active.total");
        double qTotal = now.get("power.reactive.total");
        activeWh += pTotal * 1000 * dt / 3600;
        reactiveVarh += qTotal * 1000 * dt / 3600;
        partialActiveWh += pTotal * 1000 * dt / 3600;
        partialReactiveVarh += qTotal * 1000 * dt / 3600;
        runHours += dt / 3600;
        double alpha = demandSeconds <= 0 ? 1 : Math.min(1, dt / demandSeconds);
        now.forEach((id, value) -> {
            max.merge(id, value, Math::max);
            demand.merge(id, value, (old, x) -> old + (x - old) * alpha);
        });
        realtime = now;
    }

    private Map<String, Double> compute() {
        Map<String, Double> m = new HashMap<>(64);
        String[] ph = { "l1", "l2", "l3" };
        double p = 0;
        double q = 0;
        double s = 0;
        for (int k = 0; k < 3; k++) {
            double sk = v[k] * i[k] / 1000;
            double pk = sk * pf[k];
            double qk = Math.sqrt(Math.max(0, sk * sk - pk * pk));
            m.put("voltage." + ph[k] + "n", v[k]);
            m.put("current." + ph[k], i[k]);
            m.put("power.active." + ph[k], pk);
            m.put("power.reactive." + ph[k], qk);
            m.put("power.apparent." + ph[k], sk);
            m.put("pf." + ph[k], pf[k]);
            p += pk;
            q += qk;
            s += sk;
        }
        m.put("voltage.ln.avg", (v[0] + v[1] + v[2]) / 3);
        double v12 = lineToLine(v[0], v[1]);
        double v23 = lineToLine(v[1], v[2]);
        double v31 = lineToLine(v[2], v[0]);
        m.put("voltage.l1l2", v12);
        m.put("voltage.l2l3", v23);
        m.put("voltage.l3l1", v31);
        m.put("voltage.ll.avg", (v12 + v23 + v31) / 3);
        m.put("current.n", Math.sqrt(Math.max(0,
                i[0] * i[0] + i[1] * i[1] + i[2] * i[2] - i[0] * i[1] - i[1] * i[2] - i[2] * i[0])));
        m.put("power.active.total", p);
        m.put("power.reactive.total", q);
        m.put("power.apparent.total", s);
        m.put("pf.total", s == 0 ? 1 : p / s);
        m.put("frequency", frequency);
        return m;
    }

    /** What a restart loses: maxima and demand start again from the present values; counters persist. */
    synchronized void resetExtremes() {
        max.clear();
        demand.clear();
        max.putAll(realtime);
        demand.putAll(realtime);
    }

    /** |V1 − V2∠−120°| for two phase voltages 120° apart. */
    private static double lineToLine(double a, double b) {
        return Math.sqrt(a * a + b * b + a * b);
    }

    /** The value of every point the model drives, by point id. */
    synchronized Map<String, Value> values() {
        Map<String, Value> out = new HashMap<>(160);
        realtime.forEach((id, value) -> out.put(id, Value.of(value)));
        max.forEach((id, value) -> out.put("max." + id, Value.of(value)));
        demand.forEach((id, value) -> out.put("demand." + id, Value.of(value)));
        out.put("phase.sequence", Value.of(0.0));
        out.put("energy.active.import.total", Value.of((long) activeWh));
        out.put("energy.reactive.import.total", Value.of((long) reactiveVarh));
        out.put("energy.active.export.total", Value.of(0L));
        out.put("energy.reactive.export.total", Value.of(0L));
        out.put("energy.active.import.partial", Value.of((long) partialActiveWh));
        out.put("energy.reactive.import.partial", Value.of((long) partialReactiveVarh));
        out.put("energy.active.export.partial", Value.of(0L));
        out.put("energy.reactive.export.partial", Value.of(0L));
        out.put("run.hours", Value.of(Math.floor(runHours * 60) / 60)); // the meter counts whole minutes
        return out;
    }
}
