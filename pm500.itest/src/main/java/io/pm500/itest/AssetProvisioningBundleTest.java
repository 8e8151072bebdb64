package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.MeterCatalog;
import io.pm500.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * Issue 23: every {@code pm500.asset} configuration event made the pipeline read and check every asset
 * configuration again — provisioning 500 assets kept Config Admin's event thread busy for minutes (O(N²)). Now the
 * changes are read in batches ({@code ConfigBatches}), with one pass per batch: 2,000 assets created (then deleted)
 * one after another reach the catalogue within a minute — and none is lost when configurations are deleted while a
 * batch is read (Config Admin throws at any question to a configuration deleted since it was listed).
 */
class AssetProvisioningBundleTest {
    private static final int ASSETS = 2000;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    @InjectService
    MeterCatalog catalog;

    @Test
    void twoThousandAssetsAreTakenOneConfigurationAtATime() throws Exception {
        int before = catalog.assets().size();
        List<Configuration> made = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < ASSETS; i++) {
            Configuration c = configAdmin.getFactoryConfiguration("pm500.asset", "bulk-" + i, "?");
            c.update(new Hashtable<>(Map.of("meterId", "bulk-" + i, "site", "plant", "area", "line-" + i % 20,
                    "asset", "feeder-" + i)));
            made.add(c);
        }
        Await.until(Duration.ofSeconds(60), () -> catalog.assets().size() - before + " of " + ASSETS + " assets",
                () -> catalog.assets().size() == before + ASSETS);
        long created = (System.nanoTime() - t0) / 1_000_000;
        for (Configuration c : made) {
            c.delete();
        }
        Await.until(Duration.ofSeconds(60), () -> catalog.assets().size() - before + " assets left",
                () -> catalog.assets().size() == before);
        long deleted = (System.nanoTime() - t0) / 1_000_000 - created;
        System.out.printf("%d asset configurations: in the catalogue %d ms after the first was created; all gone %d ms"
                + " after the deletions began%n", ASSETS, created, deleted);
        assertThat(catalog.assets()).noneMatch(a -> a.meterId().startsWith("bulk-"));
    }
}
