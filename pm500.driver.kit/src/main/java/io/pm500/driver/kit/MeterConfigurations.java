package io.pm500.driver.kit;

import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.RefusedConfiguration;
import io.pm500.api.status.StatusSource;
import io.pm500.kit.config.ConfigValues;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.osgi.service.cm.ManagedServiceFactory;
import org.slf4j.Logger;

/**
 * A driver's meters, one factory configuration each, handed over by Config Admin to this
 * {@link ManagedServiceFactory} and {@link StatusSource}: a driver's component extends it and is registered as both
 * with {@code service.pid} = the factory pid.
 * Not one Declarative Services component per meter: for every configuration event DS looks the configuration up again
 * with a {@code (service.pid=…)} filter, which Felix Config Admin answers with a pass over all configurations — O(N²)
 * to configure N meters (101 s for 5,000); Config Admin hands a factory its configuration directly.
 *
 * <p>A configuration is checked before anything changes: a bad one is logged, naming each key and its fix, and
 * refused — a meter already polling keeps its previous configuration — and listed in
 * {@link #refusedConfigurations()} until it is fixed or deleted. A good one stops the meter's poller and starts a
 * new one. Status readers on any thread see the current pollers and refusals without waiting.
 *
 * @param <C> the driver's configuration annotation type
 * @param <S> the driver's checked settings
 */
public class MeterConfigurations<C, S> implements ManagedServiceFactory, StatusSource {
    private final String name;
    private final String factoryPid;
    private final Logger log;
    private final Class<C> type;
    private final Function<C, S> check;
    private final Function<S, PollRules<?>> start;
    // read by status readers on other threads; changed under this object's lock
    private final Map<String, PollRules<?>> pollers = new ConcurrentHashMap<>();
    private final Map<String, RefusedConfiguration> refused = new ConcurrentHashMap<>();
    private boolean closed;

    /**
     * @param name       what the console calls this factory, e.g. {@code PM500 meters (Modbus TCP)}
     * @param factoryPid the factory pid of the meters' configurations, e.g. {@code pm500.driver.modbus}
     * @param log        the driver component's logger: a refused configuration is logged under the driver's name
     * @param type       the configuration annotation type the properties are read as ({@link ConfigValues#checked})
     * @param check      the driver's settings check; an {@link IllegalArgumentException} names every problem
     * @param start      makes and starts the poller of checked settings
     */
    public MeterConfigurations(String name, String factoryPid, Logger log, Class<C> type, Function<C, S> check,
            Function<S, PollRules<?>> start) {
        this.name = name;
        this.factoryPid = factoryPid;
        this.log = log;
        this.type = type;
        this.check = check;
        this.start = start;
    }

    @Override
    public final String getName() {
        return name;
    }

    @Override
    public final synchronized void updated(String pid, Dictionary<String, ?> properties) {
        if (closed) {
            return; // Config Admin may still call a factory that is going away
        }
        S settings;
        try {
            settings = ConfigValues.checked(properties, type, check, log);
        } catch (IllegalArgumentException e) {
            refused.put(pid, new RefusedConfiguration(factoryPid, pid, e.getMessage()));
            return;
        }
        refused.remove(pid);
        stop(pid);
        pollers.put(pid, start.apply(settings));
    }

    @Override
    public final synchronized void deleted(String pid) {
        refused.remove(pid);
        stop(pid);
    }

    /** Stops every meter (the driver's component stops); later calls from Config Admin are ignored. */
    public final synchronized void close() {
        closed = true;
        refused.clear();
        List.copyOf(pollers.keySet()).forEach(this::stop);
    }

    /** Each configured meter's status. */
    @Override
    public List<MeterStatus> meters() {
        List<MeterStatus> all = new ArrayList<>(pollers.size());
        pollers.values().forEach(p -> all.add(p.status()));
        return all;
    }

    /** The configurations refused and not fixed since (a meter polling meanwhile keeps its previous one). */
    @Override
    public List<RefusedConfiguration> refusedConfigurations() {
        return List.copyOf(refused.values());
    }

    private void stop(String pid) {
        PollRules<?> poller = pollers.remove(pid);
        if (poller != null) {
            poller.close();
        }
    }
}
