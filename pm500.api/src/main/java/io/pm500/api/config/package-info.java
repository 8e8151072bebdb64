/**
 * Helpers every configurable component shares: {@link io.pm500.api.config.ConfigValues} (reading a configuration,
 * checked) and {@link io.pm500.api.config.SettingFiles}.
 */
@Export
@Version("1.1.0")
package io.pm500.api.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
