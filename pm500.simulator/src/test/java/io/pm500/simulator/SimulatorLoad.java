package io.pm500.simulator;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load program (not a test): polls every meter of a running standalone simulator once a second, like a gateway
 * would (EtherNet/IP assemblies 101 and 102, Modbus energy block), and prints throughput and latency.
 * {@code java -cp … io.pm500.simulator.SimulatorLoad <host> <basePort> <meters> <seconds>}
 */
public final class SimulatorLoad {
    private SimulatorLoad() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int base = Integer.parseInt(args[1]);
        int meters = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int threads = 16;
        AtomicLong requests = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int t = 0; t < threads; t++) {
            int first = t;
            long[] lat = new long[seconds * 3 * (meters / threads + 1) + 16];
            latencies.add(lat);
            pool.submit(() -> {
                int n = 0;
                List<Socket> cip = new ArrayList<>();
                List<Socket> mb = new ArrayList<>();
                List<Integer> sessions = new ArrayList<>();
                try {
                    for (int m = first; m < meters; m += threads) {
                        Socket c = new Socket(host, base + 2 * m + 1);
                        cip.add(c);
                        sessions.add(register(c));
                        mb.add(new Socket(host, base + 2 * m));
                    }
                    for (long next = System.nanoTime(); next < end; next += 1_000_000_000L) {
                        for (int i = 0; i < cip.size(); i++) {
                            for (int instance : new int[] { 101, 102 }) {
                                long t0 = System.nanoTime();
                                if (assembly(cip.get(i), sessions.get(i), instance) < 0) {
                                    errors.incrementAndGet();
                                }
                                lat[n++ % lat.length] = System.nanoTime() - t0;
                                requests.incrementAndGet();
                            }
                            long t0 = System.nanoTime();
                            modbus(mb.get(i));
                            lat[n++ % lat.length] = System.nanoTime() - t0;
                            requests.incrementAndGet();
                        }
                        long sleep = next + 1_000_000_000L - System.nanoTime();
                        if (sleep > 0) {
                            Thread.sleep(sleep / 1_000_000);
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    System.err.println(e);
                } finally {
                    for (Socket s : cip) {
                        close(s);
                    }
                    for (Socket s : mb) {
                        close(s);
                    }
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).filter(x -> x > 0).sorted().toArray();
        System.out.printf("meters=%d seconds=%d requests=%d (%.0f/s) errors=%d latency p50=%.2f ms p99=%.2f ms max=%.2f ms%n",
                meters, seconds, requests.get(), requests.get() / (double) seconds, errors.get(),
                all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6, all[all.length - 1] / 1e6);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // done anyway
        }
    }

    private static int register(Socket s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x65).putShort((short) 4).putInt(0).putInt(0).putLong(0).putInt(0).putShort((short) 1)
                .putShort((short) 0);
        s.getOutputStream().write(b.array());
        byte[] reply = new DataInputStream(s.getInputStream()).readNBytes(28);
        return ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    }

    private static int assembly(Socket s, int session, int instance) throws IOException {
        byte[] mr = { 0x0E, 3, 0x20, 0x04, 0x24, (byte) instance, 0x30, 0x03 };
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + mr.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x6F).putShort((short) (16 + mr.length)).putInt(session).putInt(0).putLong(0).putInt(0);
        b.putInt(0).putShort((short) 5).putShort((short) 2).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0xB2).putShort((short) mr.length).put(mr);
        OutputStream out = s.getOutputStream();
        out.write(b.array());
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = in.readNBytes(24);
        int length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getShort(2) & 0xffff;
        byte[] body = in.readNBytes(length);
        return body.length > 18 && body[18] == 0 ? body.length : -1;
    }

    private static void modbus(Socket s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12);
        b.putShort((short) 1).putShort((short) 0).putShort((short) 6).put((byte) 1).put((byte) 4)
                .putShort((short) 1280).putShort((short) 36);
        s.getOutputStream().write(b.array());
        new DataInputStream(s.getInputStream()).readNBytes(9 + 72);
    }
}
