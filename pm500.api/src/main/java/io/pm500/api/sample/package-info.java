/**
 * What a driver produces: one {@link io.pm500.api.sample.Sample} per data block per poll, handed to the
 * {@link io.pm500.api.sample.SampleConsumer} of the pipeline, with a {@link io.pm500.api.sample.MeterPlan} per meter
 * announced before, and the meter's connection changes.
 */
@Export
@Version("1.2.0")
package io.pm500.api.sample;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
