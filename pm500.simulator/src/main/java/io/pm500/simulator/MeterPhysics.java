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

    /** The real-time points the model computes, in array order. */
    static final String[] IDS = { "voltage.l1n", "voltage.l2n", "voltage.l3n", "voltage.ln.avg", "voltage.l1l2",
        "voltage.l2l3", "voltage.l3l1", "voltage.ll.avg", "current.l1", "current.l2", "current.l3", "current.n",
        "power.active.l1", "power.active.l2", "power.active.l3", "power.active.total", "power.reactive.l1",
        "power.reactive.l2", "power.reactive.l3", "power.reactive.total", "power.apparent.l1", "power.apparent.l2",
        "power.apparent.l3", "power.apparent.total", "pf.l1", "pf.l2", "pf.l3", "pf.total", "frequency" };
    private static final String[] MAX_IDS = prefixed("max.");
    private static final String[] DEMAND_IDS = prefixed("demand.");
    private static final int V = 0, V_AVG = 3, VLL = 4, VLL_AVG = 7, I = 8, I_N = 11, P = 12, P_TOTAL = 15,
            Q = 16, Q_TOTAL = 19, S = 20, S_TOTAL = 23, PF = 24, PF_TOTAL = 27, HZ = 28;

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
    /** Present, maximum and demand values, indexed like {@link #IDS}; a step allocates nothing. */
    private final double[] now = new double[IDS.length];
    private final double[] max = new double[IDS.length];
    private final double[] demand = new double[IDS.length];
    private boolean extremesStarted;

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
        compute();
        activeWh += now[P_TOTAL] * 1000 * dt / 3600;
        reactiveVarh += now[Q_TOTAL] * 1000 * dt / 3600;
        partialActiveWh += now[P_TOTAL] * 1000 * dt / 3600;
        partialReactiveVarh += now[Q_TOTAL] * 1000 * dt / 3600;
        runHours += dt / 3600;
        if (!extremesStarted) {
            System.arraycopy(now, 0, max, 0, now.length);
            System.arraycopy(now, 0, demand, 0, now.length);
            extremesStarted = true;
        }
        double alpha = demandSeconds <= 0 ? 1 : Math.min(1, dt / demandSeconds);
        for (int k = 0; k < now.length; k++) {
            max[k] = Math.max(max[k], now[k]);
            demand[k] += (now[k] - demand[k]) * alpha;
        }
    }

    private void compute() {
        for (int k = 0; k < 3; k++) {
            double sk = v[k] * i[k] / 1000;
            double pk = sk * pf[k];
            now[V + k] = v[k];
            now[I + k] = i[k];
            now[P + k] = pk;
            now[Q + k] = Math.sqrt(Math.max(0, sk * sk - pk * pk));
            now[S + k] = sk;
            now[PF + k] = pf[k];
        }
        now[V_AVG] = (v[0] + v[1] + v[2]) / 3;
        now[VLL] = lineToLine(v[0], v[1]);
        now[VLL + 1] = lineToLine(v[1], v[2]);
        now[VLL + 2] = lineToLine(v[2], v[0]);
        now[VLL_AVG] = (now[VLL] + now[VLL + 1] + now[VLL + 2]) / 3;
        now[I_N] = Math.sqrt(Math.max(0,
                i[0] * i[0] + i[1] * i[1] + i[2] * i[2] - i[0] * i[1] - i[1] * i[2] - i[2] * i[0]));
        now[P_TOTAL] = now[P] + now[P + 1] + now[P + 2];
        now[Q_TOTAL] = now[Q] + now[Q + 1] + now[Q + 2];
        now[S_TOTAL] = now[S] + now[S + 1] + now[S + 2];
        now[PF_TOTAL] = now[S_TOTAL] == 0 ? 1 : now[P_TOTAL] / now[S_TOTAL];
        now[HZ] = frequency;
    }

    /** What a restart loses: maxima and demand start again from the present values; counters persist. */
    synchronized void resetExtremes() {
        System.arraycopy(now, 0, max, 0, now.length);
        System.arraycopy(now, 0, demand, 0, now.length);
    }

    private static String[] prefixed(String prefix) {
        String[] ids = new String[IDS.length];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = prefix + IDS[k];
        }
        return ids;
    }

    /** |V1 − V2∠−120°| for two phase voltages 120° apart. */
    private static double lineToLine(double a, double b) {
        return Math.sqrt(a * a + b * b + a * b);
    }

    /** The value of every point the model drives, by point id. */
    synchronized Map<String, Value> values() {
        Map<String, Value> out = new HashMap<>(160);
        for (int k = 0; k < IDS.length; k++) {
            out.put(IDS[k], Value.of(now[k]));
            out.put(MAX_IDS[k], Value.of(max[k]));
            out.put(DEMAND_IDS[k], Value.of(demand[k]));
        }
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
