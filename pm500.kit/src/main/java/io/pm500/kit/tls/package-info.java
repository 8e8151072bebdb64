/**
 * TLS from PEM files for every component that talks TLS: {@link io.pm500.kit.tls.PemTls}.
 */
@Export
@Version("1.0.0")
package io.pm500.kit.tls;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
