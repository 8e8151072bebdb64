package io.pm500.api.sample;

import io.pm500.api.status.ConnectionState;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The pipeline's entry point, registered as a service; drivers call it from their poll threads.
 *
 * <p>{@link #accept(Sample)} does not block on any sink: it returns once the pipeline has taken
 * responsibility for the sample (appended it to the durable outboxes). Returning normally is the
 * acknowledgement; an exception means the sample was not taken and the driver reports it as lost
 * data in its status.
 */
@ProviderType
public interface SampleConsumer {

    void accept(Sample sample);

    /**
     * Several samples at once — a poll loop's round — taken as {@link #accept(Sample)} takes each, in order, with one
     * write per outbox for all of them instead of one per sample. Returning normally acknowledges every sample. A
     * sample that cannot be taken does not keep the others out: the exception then names the samples not taken; when
     * the outboxes cannot be written, none is taken. The list is only read during the call.
     */
    void accept(List<Sample> samples);

    /**
     * A driver describes a meter it reads: before the meter's first sample, and again with the new plan when its
     * configuration changes. Cheap; any thread.
     */
    void announce(MeterPlan plan);

    /**
     * The driver's connection to a meter changed state. {@link ConnectionState#LOST} tells the pipeline that the
     * meter's values are no longer current (those read once per connection go STALE); any other state ends that.
     * Called on the transition, from the poll thread; cheap.
     */
    void connection(String meterId, String driver, ConnectionState state);

    /**
     * The driver no longer reads the meter (configuration deleted, driver stopping). The meter's last values then go
     * STALE after their poll intervals, as when polls stop for any other reason.
     */
    void withdraw(String meterId, String driver);
}
