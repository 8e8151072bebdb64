/**
 * Helpers every configurable component shares: {@link io.pm500.kit.config.ConfigValues} (reading a configuration,
 * checked) and {@link io.pm500.kit.config.SettingFiles}.
 */
@Export
@Version("1.0.0")
package io.pm500.kit.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
