/**
 * The sink contract: a {@link io.pm500.api.sink.Sink} service named by {@value io.pm500.api.sink.Sink#NAME}.
 */
@Export
@Version("2.3.0")
package io.pm500.api.sink;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
