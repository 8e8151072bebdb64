/**
 * Helpers every configurable component shares: {@link io.pm500.kit.config.ConfigValues} (reading a configuration,
 * checked), {@link io.pm500.kit.config.SettingFiles} and {@link io.pm500.kit.config.ConfigBatches} (Config Admin's
 * events read in batches).
 */
@Export
@Version("1.2.0")
package io.pm500.kit.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
