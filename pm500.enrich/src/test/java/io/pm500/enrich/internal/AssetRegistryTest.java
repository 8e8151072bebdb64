package io.pm500.enrich.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One changed asset configuration changes at most the two meters it names, before and after. */
class AssetRegistryTest {
    private final AssetRegistry registry = new AssetRegistry();

    private static AssetInfo asset(String meter, String name) {
        return new AssetInfo(meter, "site", "area", name, "", List.of(), 1, 1);
    }

    @Test
    void anAssetAddedChangedMovedAndDeletedChangesOnlyItsMeters() {
        assertThat(registry.put("pm500.asset~a", asset("m1", "press"))).isEqualTo(Map.of("m1",
                Optional.of(asset("m1", "press"))));
        assertThat(registry.put("pm500.asset~b", asset("m2", "oven"))).containsOnlyKeys("m2");
        assertThat(registry.put("pm500.asset~a", asset("m1", "press"))).as("the same again").isEmpty();
        assertThat(registry.put("pm500.asset~a", asset("m3", "press"))).as("moved to another meter")
                .isEqualTo(Map.of("m1", Optional.empty(), "m3", Optional.of(asset("m3", "press"))));
        assertThat(registry.put("pm500.asset~a", null)).isEqualTo(Map.of("m3", Optional.empty()));
    }

    @Test
    void theSmallerPidWinsAMeterTwoAssetsName() {
        registry.put("pm500.asset~b", asset("m1", "second"));
        assertThat(registry.put("pm500.asset~a", asset("m1", "first"))).isEqualTo(Map.of("m1",
                Optional.of(asset("m1", "first"))));
        assertThat(registry.put("pm500.asset~b", asset("m1", "second, renamed"))).as("the loser changes nothing")
                .isEmpty();
        assertThat(registry.put("pm500.asset~a", null)).as("the other takes over").isEqualTo(Map.of("m1",
                Optional.of(asset("m1", "second, renamed"))));
    }
}
