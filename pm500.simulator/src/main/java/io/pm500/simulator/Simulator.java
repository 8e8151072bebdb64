package io.pm500.simulator;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import io.pm500.api.profile.DeviceProfile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N simulated meters, each with its own Modbus TCP port and EtherNet/IP port. Modbus requests are answered by
 * j2mod's slave behind a fault-injecting front end; EtherNet/IP by {@link EnipServer}. Two selector threads serve
 * all meters. Close it to stop everything it started.
 */
public final class Simulator implements AutoCloseable {
    /** Modbus unit id the meters answer to. */
    public static final int UNIT_ID = 1;
    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);

    private final List<SimulatedMeter> meters = new ArrayList<>();
    private final List<ModbusSlave> modbus = new ArrayList<>();
    private final ModbusProxy modbusProxy;
    private final EnipServer enip;

    /**
     * @param count    how many meters
     * @param basePort first port: meter i listens on basePort + 2i (Modbus) and basePort + 2i + 1 (EtherNet/IP);
     *                 0 gives every meter free ephemeral ports
     * @param seed     makes the meters' numbers reproducible
     */
    public Simulator(DeviceProfile profile, int count, String host, int basePort, long seed, LongSupplier clock)
            throws IOException {
        int[] upstreamPorts = new int[count];
        int[] modbusPorts = new int[count];
        int[] enipPorts = new int[count];
        ModbusProxy proxy = null;
        EnipServer cip = null;
        try {
            for (int i = 0; i < count; i++) {
                meters.add(new SimulatedMeter(i, profile, seed, clock));
                modbusPorts[i] = basePort == 0 ? 0 : basePort + 2 * i;
                enipPorts[i] = basePort == 0 ? 0 : basePort + 2 * i + 1;
            }
            // The public ports first, so that no free port picked for j2mod below can take one of them.
            proxy = new ModbusProxy(meters, host, modbusPorts, upstreamPorts);
            cip = new EnipServer(meters, host, enipPorts);
            startModbusSlaves(upstreamPorts);
            proxy.start();
            cip.start();
        } catch (ModbusException | IOException | RuntimeException e) {
            if (proxy != null) {
                proxy.close();
            }
            if (cip != null) {
                cip.close();
            }
            closeModbus();
            throw e instanceof IOException io ? io : new IOException("cannot start the simulator: " + e.getMessage(), e);
        }
        enip = cip;
        modbusProxy = proxy;
        LOG.info("Simulator: {} meters on {} (Modbus from port {}, EtherNet/IP from port {})", count, host,
                count == 0 ? 0 : modbusProxy.port(0), count == 0 ? 0 : enip.port(0));
    }

    /**
     * j2mod's slaves, one per meter on a free loopback port behind the fault-injecting front end. Opened in
     * parallel: j2mod's open() polls every 50 ms until its listener runs.
     */
    private void startModbusSlaves(int[] upstreamPorts) throws ModbusException, IOException {
        java.util.Set<Integer> taken = new java.util.HashSet<>();
        for (int i = 0; i < meters.size(); i++) {
            // j2mod's factory hands back an existing slave for a port it knows: never offer one twice
            do {
                upstreamPorts[i] = freePort();
            } while (!taken.add(upstreamPorts[i]));
            ModbusSlave slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), upstreamPorts[i],
                    2, false, 0); // two connections per meter at once: a gateway and one more client
            slave.addProcessImage(UNIT_ID, new MeterProcessImage(meters.get(i)));
            modbus.add(slave);
        }
        ExecutorService opener = Executors.newFixedThreadPool(Math.min(16, Math.max(1, meters.size())));
        try {
            List<Future<?>> opened = new ArrayList<>();
            for (ModbusSlave slave : modbus) {
                opened.add(opener.submit(() -> {
                    slave.open();
                    return null;
                }));
            }
            for (Future<?> f : opened) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new ModbusException("a Modbus slave did not open: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening the Modbus slaves", e);
        } finally {
            opener.shutdown();
        }
    }

    public List<SimulatedMeter> meters() {
        return meters;
    }

    public int modbusPort(int meter) {
        return modbusProxy.port(meter);
    }

    public int enipPort(int meter) {
        return enip.port(meter);
    }

    /** A meter's Class 3 connection table: who holds its connections, at what RPI and timeout. */
    public List<CipConnection> cipConnections(int meter) {
        return enip.connections(meters.get(meter));
    }

    /** How many Class 1 connections a meter produces for now. */
    public int classOneConnections(int meter) {
        return enip.classOneConnections(meters.get(meter));
    }

    /** j2mod's slave takes a port number, so a free one is found first (loopback only, closed at once). */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }

    private void closeModbus() {
        for (ModbusSlave slave : modbus) {
            ModbusSlaveFactory.close(slave);
        }
        modbus.clear();
    }

    @Override
    public void close() {
        if (modbusProxy != null) {
            modbusProxy.close();
        }
        closeModbus();
        if (enip != null) {
            enip.close();
        }
    }
}
