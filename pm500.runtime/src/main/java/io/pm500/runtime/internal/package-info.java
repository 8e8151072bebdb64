/** The runtime's own components: Web Console login, working directories, start-up report. */
@RequireConfigurator
package io.pm500.runtime.internal;

import org.osgi.service.configurator.annotations.RequireConfigurator;
