package io.pm500.runtime.internal;

import java.io.IOException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates conf/, deploy/, data/ and logs/ on start, so a fresh install works without a setup step. */
@Component(immediate = true, service = {})
public final class WorkingDirectories {
    private static final Logger LOG = LoggerFactory.getLogger(WorkingDirectories.class);

    @Activate
    public WorkingDirectories(BundleContext context) throws IOException {
        Layout layout = Layout.of(context);
        try {
            layout.create();
        } catch (IOException e) {
            throw new IOException("cannot create the gateway's working directories (" + layout
                    + "): start the gateway in a directory its user can write to, or set pm500.*.dir", e);
        }
        LOG.info("Working directories: conf={} deploy={} data={} logs={}", layout.conf(), layout.deploy(),
                layout.data(), layout.logs());
    }
}
