package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import io.pm500.api.status.ConnectionState;
import io.pm500.testkit.Await;
import io.pm500.testkit.process.OpenerProcess;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's EtherNet/IP meters against an adapter we did not write (OpENer), through the pipeline to a sink:
 * the REALs written into OpENer's assembly 150 with a Set_Attribute_Single of our own arrive exactly, GOOD, in both
 * messaging modes at once (two meters on one adapter), with one TCP connection each.
 */
class CipOpenerBundleTest extends PeerPipelineTest {
    private static final float[] VALUES = { 229.5f, 230.75f, 231.0f, 10.25f, -0.5f, 3.0e-4f, 50.01f, 0.96875f };
    private static OpenerProcess opener;

    @BeforeAll
    static void startOpener() throws Exception {
        opener = OpenerProcess.start();
        OpenerProcess.write(VALUES);
    }

    @AfterAll
    static void stopOpener() throws Exception {
        opener.close();
    }

    /**
     * Exact values in both messaging modes, enriched by the profile the driver decodes with (issue 21: the pipeline
     * takes the profile from the driver's announcement — before, it enriched by the asset's, here none, so the
     * built-in one, without units or plausibility): volts, amperes, hertz; the negative current UNCERTAIN.
     */
    @Test
    void exactValuesArriveInBothMessagingModesEnrichedByTheDriversProfile() throws Exception {
        String profile = OpenerProcess.profile().toString();
        List<String> meters = List.of("opener-connected-" + run, "opener-unconnected-" + run);
        meter(meters.get(0), "connected", profile);
        meter(meters.get(1), "unconnected", profile);
        for (String meter : meters) {
            Await.until(TIMEOUT, () -> "GOOD readings of " + meter + ": " + sink.goodValues(meter).keySet(),
                    () -> sink.goodValues(meter).keySet().containsAll(List.of("opener.real.1", "opener.real.8")));
            Map<String, EnrichedReading> newest = new HashMap<>();
            sink.readings(meter).forEach(r -> newest.put(r.metric(), r));
            for (int i = 0; i < VALUES.length; i++) {
                EnrichedReading r = newest.get("opener.real." + (i + 1));
                assertThat(r.value()).as(meter + " REAL " + (i + 1)).isEqualTo(Value.of((double) VALUES[i]));
                assertThat(r.quality()).as(meter + " REAL " + (i + 1) + " quality")
                        .isEqualTo(VALUES[i] < 0 ? Quality.UNCERTAIN : Quality.GOOD);
            }
            assertThat(List.of(newest.get("opener.real.1").unit(), newest.get("opener.real.4").unit(),
                    newest.get("opener.real.7").unit())).as("units of the driver's profile")
                    .containsExactly("V", "A", "Hz");
            assertThat(StatusSources.meters(context)).filteredOn(m -> m.meterId().equals(meter)).singleElement()
                    .satisfies(m -> {
                        assertThat(m.state()).isEqualTo(ConnectionState.CONNECTED);
                        assertThat(m.failures()).isZero();
                    });
        }
    }

    private void meter(String meterId, String messaging, String profile) throws Exception {
        configs.factory("pm500.driver.cip", meterId, Map.of("meterId", meterId, "host", "127.0.0.1", "port",
                OpenerProcess.PORT, "profile", profile, "messaging", messaging, "blockIntervals",
                new String[] { "assembly.100=500" }));
    }
}
