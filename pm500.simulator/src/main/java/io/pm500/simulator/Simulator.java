package io.pm500.simulator;

import io.pm500.api.profile.DeviceProfile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N simulated meters, each with its own Modbus TCP port and EtherNet/IP port, served by {@link ModbusServer} and
 * {@link EnipServer}: two selector threads serve all meters. Close it to stop everything it started.
 */
public final class Simulator implements AutoCloseable {
    /** Modbus unit id the meters answer to. */
    public static final int UNIT_ID = 1;
    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);

    private final List<SimulatedMeter> meters = new ArrayList<>();
    private final ModbusServer modbus;
    private final EnipServer enip;

    /**
     * @param count    how many meters
     * @param basePort first port: meter i listens on basePort + 2i (Modbus) and basePort + 2i + 1 (EtherNet/IP);
     *                 0 gives every meter free ephemeral ports
     * @param seed     makes the meters' numbers reproducible
     */
    public Simulator(DeviceProfile profile, int count, String host, int basePort, long seed, LongSupplier clock)
            throws IOException {
        this(profile, count, host, basePort, seed, clock, EnumSet.allOf(Protocol.class));
    }

    /** The protocols a simulator serves: a load of thousands of meters needs only one, and half the sockets. */
    public enum Protocol {
        MODBUS, ETHERNET_IP
    }

    /**
     * @param protocols what the meters serve; asking for the port or connections of another is an error
     * @see #Simulator(DeviceProfile, int, String, int, long, LongSupplier)
     */
    public Simulator(DeviceProfile profile, int count, String host, int basePort, long seed, LongSupplier clock,
            Set<Protocol> protocols) throws IOException {
        int[] modbusPorts = new int[count];
        int[] enipPorts = new int[count];
        ModbusServer server = null;
        EnipServer cip = null;
        try {
            for (int i = 0; i < count; i++) {
                meters.add(new SimulatedMeter(i, profile, seed, clock));
                modbusPorts[i] = basePort == 0 ? 0 : basePort + 2 * i;
                enipPorts[i] = basePort == 0 ? 0 : basePort + 2 * i + 1;
            }
            if (protocols.contains(Protocol.MODBUS)) {
                server = new ModbusServer(meters, host, modbusPorts);
                server.start();
            }
            if (protocols.contains(Protocol.ETHERNET_IP)) {
                cip = new EnipServer(meters, host, enipPorts);
                cip.start();
            }
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            if (cip != null) {
                cip.close();
            }
            throw e instanceof IOException io ? io : new IOException("cannot start the simulator: " + e.getMessage(), e);
        }
        enip = cip;
        modbus = server;
        LOG.info("Simulator: {} meters on {} (Modbus from port {}, EtherNet/IP from port {})", count, host,
                count == 0 || modbus == null ? "-" : modbus.port(0), count == 0 || enip == null ? "-" : enip.port(0));
    }

    public List<SimulatedMeter> meters() {
        return meters;
    }

    public int modbusPort(int meter) {
        return served(modbus, Protocol.MODBUS).port(meter);
    }

    public int enipPort(int meter) {
        return served(enip, Protocol.ETHERNET_IP).port(meter);
    }

    private static <S extends NioServer> S served(S server, Protocol protocol) {
        if (server == null) {
            throw new IllegalStateException("this simulator does not serve " + protocol + "; start it with it");
        }
        return server;
    }

    /** A meter's Class 3 connection table: who holds its connections, at what RPI and timeout. */
    public List<CipConnection> cipConnections(int meter) {
        return served(enip, Protocol.ETHERNET_IP).connections(meters.get(meter));
    }

    /** How many Class 1 connections a meter produces for now. */
    public int classOneConnections(int meter) {
        return served(enip, Protocol.ETHERNET_IP).classOneConnections(meters.get(meter));
    }


    @Override
    public void close() {
        if (modbus != null) {
            modbus.close();
        }
        if (enip != null) {
            enip.close();
        }
    }
}
