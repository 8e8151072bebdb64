package io.pm500.api.sample;

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
}
