/**
 * What the enrichment stage produces and sinks consume: {@link io.pm500.api.reading.EnrichedReading}, and the
 * {@link io.pm500.api.reading.MeterCatalog} of the meters, their assets and what each will publish.
 */
@Export
@Version("1.4.0")
package io.pm500.api.reading;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
