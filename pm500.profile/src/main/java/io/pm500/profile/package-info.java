/**
 * Loading device profiles: {@link io.pm500.profile.DeviceProfiles} reads and checks a JSON profile (or the built-in
 * {@code pm500}) into the API's profile model ({@code io.pm500.api.profile}), naming the line and the fix of every
 * problem ({@link io.pm500.profile.ProfileException}).
 */
@Export
@Version("1.0.0")
package io.pm500.profile;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
