package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.testkit.Await;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.test.common.annotation.InjectService;

/** The simulator bundle runs meters in Felix when Config Admin says so, and refuses a bad configuration. */
@ExtendWith(FailureReport.class)
class SimulatorBundleTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @InjectService
    ConfigurationAdmin configAdmin;
    @InjectService
    ServiceComponentRuntime scr;

    @AfterEach
    void removeConfiguration() throws Exception {
        configAdmin.getConfiguration("pm500.simulator", "?").delete();
    }

    @Test
    void configuredSimulatorServesBothProtocolsAndStopsWithItsConfiguration() throws Exception {
        int base = SimulatedMeters.freePortPair();
        configure(1, base);

        Await.until(TIMEOUT, () -> "no EtherNet/IP identity on port " + (base + 1),
                () -> productName(base + 1).equals("PowerMonitor 500"));
        assertThat(modbusReply(base)).as("FC04 reply to register 300001").hasSize(11);

        configAdmin.getConfiguration("pm500.simulator", "?").delete();
        Await.until(TIMEOUT, () -> "port " + (base + 1) + " still open", () -> refused(base + 1));
    }

    @Test
    void badConfigurationRefusesActivationWithAClearMessage() throws Exception {
        configure(0, 0);
        Await.until(TIMEOUT, () -> "component did not fail", () -> failure().contains("meters is 0; set 1 to 1000"));
    }

    private void configure(int meters, int basePort) throws Exception {
        SimulatedMeters.configure(configAdmin, scr, meters, basePort);
    }

    private String failure() {
        return scr.getComponentDescriptionDTOs().stream().filter(d -> d.name.equals(SimulatedMeters.COMPONENT))
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                .filter(c -> c.state == ComponentConfigurationDTO.FAILED_ACTIVATION).map(c -> c.failure)
                .findFirst().orElse("");
    }

    private static String productName(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write(new byte[] { 0x63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0 });
            byte[] header = s.getInputStream().readNBytes(24);
            int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xffff;
            byte[] body = s.getInputStream().readNBytes(length);
            // item header 6, protocol version 2, socket address 16, then identity: name length at offset 36
            int nameLength = body[6 + 2 + 16 + 14] & 0xff;
            return new String(body, 6 + 2 + 16 + 15, nameLength, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static byte[] modbusReply(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(new byte[] { 0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1 });
            return s.getInputStream().readNBytes(11);
        }
    }

    private static boolean refused(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
