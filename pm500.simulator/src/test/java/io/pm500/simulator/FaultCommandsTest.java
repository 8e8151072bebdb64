package io.pm500.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.profile.DeviceProfiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultCommandsTest {
    private Simulator simulator;
    private FaultCommands commands;

    @BeforeEach
    void start() throws Exception {
        simulator = new Simulator(DeviceProfiles.builtIn("pm500"), 3, "127.0.0.1", 0, 1, () -> 0);
        commands = new FaultCommands(simulator);
    }

    @AfterEach
    void stop() {
        simulator.close();
    }

    @Test
    void switchesFaultsOnOneOrAllMeters() {
        assertThat(commands.execute("fault 1 noreply on")).contains("meter 1", "noReply=true");
        assertThat(simulator.meters().get(1).faults().noReply()).isTrue();
        assertThat(simulator.meters().get(0).faults().noReply()).isFalse();
        commands.execute("fault all delay 250");
        assertThat(simulator.meters()).allSatisfy(m -> assertThat(m.faults().delayMillis()).isEqualTo(250));
        commands.execute("fault 2 cip 0x0C");
        assertThat(simulator.meters().get(2).faults().cipStatus()).isEqualTo(0x0C);
        commands.execute("fault 2 modbus 6");
        assertThat(simulator.meters().get(2).faults().modbusException()).isEqualTo(6);
        commands.execute("fault all clear");
        assertThat(simulator.meters()).allSatisfy(m -> assertThat(m.faults().delayMillis()).isZero());
        assertThat(commands.execute("status 0")).startsWith("meter 0 serial 9400000000000");
    }

    @Test
    void badInputSaysWhatIsWrong() {
        assertThat(commands.execute("fault 9 noreply on")).contains("no meter 9 (0..2)");
        assertThat(commands.execute("fault 0 noreply maybe")).contains("expected on or off");
        assertThat(commands.execute("fault 0 delay soon")).contains("'soon' is not a number");
        assertThat(commands.execute("fault 0 melt")).contains("unknown fault 'melt'");
        assertThat(commands.execute("explode")).contains("unknown command 'explode'");
        assertThat(commands.execute("fault 0 cip 999")).contains("0..255");
    }
}
