package io.pm500.testkit.pipeline;

import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.ConnectionState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link SampleConsumer} that keeps what drivers tell it: the samples (or hands each to a counter, for load), the
 * plans announced, each meter's last connection state and the withdrawals. Thread-safe.
 */
public final class DriverEvents implements SampleConsumer {
    private final Consumer<Sample> onSample;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final Map<String, MeterPlan> plans = new ConcurrentHashMap<>();
    private final Map<String, ConnectionState> states = new ConcurrentHashMap<>();
    private final List<String> withdrawn = new CopyOnWriteArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();

    /** Keeps every sample. */
    public DriverEvents() {
        this.onSample = null;
    }

    /** Hands each sample to {@code onSample} instead of keeping it (load programs count, they do not keep). */
    public DriverEvents(Consumer<Sample> onSample) {
        this.onSample = onSample;
    }

    @Override
    public void accept(Sample sample) {
        if (onSample != null) {
            onSample.accept(sample);
        } else {
            samples.add(sample);
        }
    }

    /** A poll loop's round: each sample as {@link #accept(Sample)} takes it. */
    @Override
    public void accept(List<Sample> round) {
        round.forEach(this::accept);
    }

    @Override
    public void announce(MeterPlan plan) {
        plans.put(plan.meterId() + "@" + plan.driver(), plan);
        log.add("announce " + plan.meterId() + "@" + plan.driver() + " " + plan.blocks());
    }

    @Override
    public void connection(String meterId, String driver, ConnectionState state) {
        states.put(meterId + "@" + driver, state);
        log.add(state + " " + meterId + "@" + driver);
    }

    @Override
    public void withdraw(String meterId, String driver) {
        plans.remove(meterId + "@" + driver);
        withdrawn.add(meterId + "@" + driver);
        log.add("withdraw " + meterId + "@" + driver);
    }

    /** The samples kept, in arrival order; a live view. */
    public List<Sample> samples() {
        return samples;
    }

    /** The plans announced and not withdrawn, by {@code meterId@driver}. */
    public Map<String, MeterPlan> plans() {
        return Map.copyOf(plans);
    }

    /** The last connection state told for {@code meterId@driver}; null when none was. */
    public ConnectionState state(String meterId, String driver) {
        return states.get(meterId + "@" + driver);
    }

    /**
     * Everything but the samples, in order: {@code announce m@d {block=interval, …}}, {@code <STATE> m@d},
     * {@code withdraw m@d}.
     */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** Every withdrawal, as {@code meterId@driver}, in order. */
    public List<String> withdrawn() {
        return List.copyOf(withdrawn);
    }
}
