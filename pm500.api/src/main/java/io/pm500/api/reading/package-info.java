/**
 * What the enrichment stage produces and sinks consume: {@link io.pm500.api.reading.EnrichedReading}.
 */
@Export
@Version("1.0.0")
package io.pm500.api.reading;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
