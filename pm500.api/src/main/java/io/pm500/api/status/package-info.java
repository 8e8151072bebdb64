/**
 * Status reporting: drivers and the pipeline register {@link io.pm500.api.status.StatusSource} services;
 * status pages and health endpoints read them all.
 */
@Export
@Version("7.2.0")
package io.pm500.api.status;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
