package io.pm500.driver.cip.internal;

import io.pm500.kit.config.ConfigValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who the gateway is to a meter's connection manager: the originator vendor id and serial number of every
 * Forward_Open and Forward_Close (with the connection serial number, they identify a connection in the meter's
 * connection table). The serial number is the gateway's own, drawn once and kept under the data directory
 * ({@code data/cip/originator-serial}), unless configured. A change restarts every EtherNet/IP meter.
 */
@Component(service = Originator.class, configurationPid = Originator.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = Originator.Config.class)
public final class Originator {
    static final String PID = "pm500.driver.cip.originator";
    /** Not an ODVA-assigned vendor id: the project has none. A company with its own sets it here. */
    static final int DEFAULT_VENDOR_ID = 0xFF50;
    private static final Logger LOG = LoggerFactory.getLogger(Originator.class);

    @ObjectClassDefinition(name = "PM500 EtherNet/IP originator",
            description = "The vendor id and serial number the gateway gives in its Forward_Open requests; a meter's"
                    + " connection table shows them.")
    public @interface Config {
        @AttributeDefinition(name = "Vendor id", description = "1..65535; the default 65360 (0xFF50) is not"
                + " ODVA-assigned: use your company's vendor id if it has one.")
        int vendorId() default DEFAULT_VENDOR_ID;

        @AttributeDefinition(name = "Serial number", description = "1..4294967295, unique among the originators on"
                + " the meters' network; 0 = this gateway's own, drawn once and kept in data/cip/originator-serial.")
        long serialNumber() default 0;
    }

    private final int vendorId;
    private final long serialNumber;

    @Activate
    public Originator(Map<String, Object> properties, BundleContext context) throws IOException {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        if (config.vendorId() < 1 || config.vendorId() > 0xFFFF || config.serialNumber() < 0
                || config.serialNumber() > 0xFFFF_FFFFL) {
            String message = PID + ": vendorId " + config.vendorId() + " must be 1..65535 and serialNumber "
                    + config.serialNumber() + " 0..4294967295 (0: the gateway's own); fix them in the console or "
                    + PID + ".cfg";
            LOG.error(message);
            throw new IllegalArgumentException(message);
        }
        vendorId = config.vendorId();
        String data = context.getProperty("pm500.data.dir");
        serialNumber = config.serialNumber() != 0 ? config.serialNumber()
                : kept(data != null ? Path.of(data, "cip") : context.getDataFile("").toPath());
        LOG.info("EtherNet/IP originator: vendor id {}, serial number {} (0x{})", vendorId, serialNumber,
                Long.toHexString(serialNumber));
    }

    Originator(int vendorId, long serialNumber) {
        this.vendorId = vendorId;
        this.serialNumber = serialNumber;
    }

    int vendorId() {
        return vendorId;
    }

    long serialNumber() {
        return serialNumber;
    }

    /** The serial number kept in {@code dir}, drawn and written (atomically) the first time. */
    static long kept(Path dir) throws IOException {
        Path file = dir.resolve("originator-serial");
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            try {
                long serial = Long.parseLong(text);
                if (serial > 0 && serial <= 0xFFFF_FFFFL) {
                    return serial;
                }
            } catch (NumberFormatException e) {
                // drawn anew below
            }
            LOG.warn("EtherNet/IP originator: {} holds '{}', not a serial number 1..4294967295; drawing a new one",
                    file, text);
        }
        long serial = 1 + (new SecureRandom().nextLong() >>> 1) % 0xFFFF_FFFFL;
        Files.createDirectories(dir);
        Path tmp = dir.resolve("originator-serial.tmp");
        Files.writeString(tmp, serial + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return serial;
    }
}
