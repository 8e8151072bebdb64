package io.pm500.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.pm500.api.profile.DeviceProfile;
import io.pm500.profile.DeviceProfiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RequestPlannerTest {
    private static DeviceProfile pm500;

    @BeforeAll
    static void load() throws Exception {
        pm500 = DeviceProfiles.builtIn("pm500");
    }

    private static java.util.List<ReadRequest> plan(String block, int max, int gap) {
        return RequestPlanner.plan(pm500.modbus(), pm500.modbusBlock(block).orElseThrow(), max, gap);
    }

    @Test
    void contiguousFieldsShareOneRead() {
        assertThat(plan("energy", 125, 0)).containsExactly(new ReadRequest(4, 1280, 36));
        assertThat(plan("status", 125, 0)).containsExactly(new ReadRequest(4, 16384, 3));
    }

    @Test
    void gapsSplitReadsUnlessAllowed() {
        assertThat(plan("info", 125, 0)).containsExactly(new ReadRequest(4, 0, 3), new ReadRequest(4, 32, 7));
        assertThat(plan("info", 125, 29)).containsExactly(new ReadRequest(4, 0, 39));
        assertThat(plan("settings", 125, 0)).hasSize(5);
        assertThat(plan("settings", 125, 10)).containsExactly(new ReadRequest(4, 4097, 33));
    }

    @Test
    void maxRegistersSplitsAtFieldBoundaries() {
        assertThat(plan("energy", 10, 0)).containsExactly(new ReadRequest(4, 1280, 8), new ReadRequest(4, 1288, 8),
                new ReadRequest(4, 1296, 8), new ReadRequest(4, 1304, 8), new ReadRequest(4, 1312, 4));
        assertThatIllegalArgumentException().isThrownBy(() -> plan("energy", 3, 0))
                .withMessageContaining("needs 4 registers");
    }
}
