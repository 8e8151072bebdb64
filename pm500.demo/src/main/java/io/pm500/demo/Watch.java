package io.pm500.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.text.SimpleDateFormat;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * {@code ./pm500 watch}: prints decoded Sparkplug B messages. It asks an edge node for a rebirth (NCMD) when it sees
 * data before births, as a host does. With {@code --latency S} it instead measures, for S seconds, how long after
 * acquisition each DDATA arrives (receipt time minus the metrics' acquisition timestamps, same clock on one host)
 * and prints the percentiles, after a warm-up of the subscriber itself.
 */
final class Watch {
    private static final int SHOWN_METRICS = 4;
    /** Not measured: the subscriber's own start (connection, JIT of the decoder) delays the first messages. */
    private static final long WARM_UP_MILLIS = 5000;

    private Watch() {
    }

    static int run(Options o) throws MqttException, InterruptedException, IOException {
        String uri = o.get("uri", "tcp://127.0.0.1:1883");
        int latencySeconds = o.number("latency", 0, 0, 86_400);
        return latencySeconds > 0 ? latency(uri, latencySeconds) : print(uri);
    }

    private static int print(String uri) throws MqttException, InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        print(uri, System.out, stop);
        return 0;
    }

    /**
     * Prints every message until {@code stop}; when the broker goes away (restarted, the demo stopped) it says so,
     * waits for it and subscribes again, so a watcher outlives broker restarts.
     */
    static void print(String uri, PrintStream out, CountDownLatch stop) throws MqttException, InterruptedException {
        SimpleDateFormat time = new SimpleDateFormat("HH:mm:ss.SSS");
        Set<String> rebirthAsked = ConcurrentHashMap.newKeySet();
        SparkplugSubscriber[] self = new SparkplugSubscriber[1];
        Consumer<SparkplugSubscriber.Received> show = r -> {
            StringBuilder line = new StringBuilder(time.format(new Date(r.receivedAtMillis()))).append(' ')
                    .append(String.format("%-7s", r.type())).append(' ');
            if (r.payload() == null) {
                out.println(line.append(r.topic()).append(' ').append(r.text()));
                return;
            }
            line.append(r.group()).append('/').append(r.node()).append(r.device() == null ? "" : "/" + r.device());
            if (r.payload().getSeq() != null) {
                line.append(" seq=").append(r.payload().getSeq());
            }
            List<Metric> metrics = r.payload().getMetrics();
            line.append(" (").append(metrics.size()).append(" metrics)");
            for (int i = 0; i < Math.min(SHOWN_METRICS, metrics.size()); i++) {
                Metric m = metrics.get(i);
                String name = m.hasName() ? m.getName() : self[0] == null ? null : self[0].nameOf(r.group() + "/"
                        + r.node(), m.getAlias());
                line.append(i == 0 ? " " : ", ").append(name == null ? "alias " + m.getAlias() : name).append('=')
                        .append(m.getIsNull() ? "null" : show(m.getValue()));
            }
            out.println(line.append(metrics.size() > SHOWN_METRICS ? ", ..." : ""));
            if (r.type().endsWith("DATA") && self[0] != null && self[0].nameOf(r.group() + "/" + r.node(),
                    metrics.isEmpty() ? -1 : metrics.get(0).getAlias()) == null
                    && rebirthAsked.add(r.group() + "/" + r.node())) {
                askRebirth(self[0], r.group(), r.node(), out);
            }
        };
        while (true) {
            SparkplugSubscriber sub = connect(uri, "pm500-watch-" + ProcessHandle.current().pid(), show, out, stop);
            if (sub == null) {
                return;
            }
            self[0] = sub;
            out.println("Watching spBv1.0/# on " + uri + " (Ctrl-C stops)");
            while (sub.isConnected() && !stop.await(200, TimeUnit.MILLISECONDS)) {
                // watching
            }
            sub.close();
            if (stop.getCount() == 0) {
                return;
            }
            out.println("Lost the connection to " + uri + "; reconnecting");
            rebirthAsked.clear(); // a new subscription: aliases are learnt again, from births or a rebirth
        }
    }

    /**
     * Started before the demo, or while the broker restarts, the watcher waits for the broker rather than failing;
     * null when stopped meanwhile.
     */
    private static SparkplugSubscriber connect(String uri, String clientId,
            Consumer<SparkplugSubscriber.Received> consumer, PrintStream out, CountDownLatch stop)
            throws MqttException, InterruptedException {
        boolean told = false;
        while (stop.getCount() > 0) {
            try {
                return new SparkplugSubscriber(uri, clientId, consumer);
            } catch (MqttException e) {
                if (e.getReasonCode() != MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR) {
                    throw e;
                }
                if (!told) {
                    out.println("No MQTT broker at " + uri + " yet (" + e.getCause() + "); waiting for it"
                            + " (start ./pm500 demo, or give --uri)");
                    told = true;
                }
                stop.await(1, TimeUnit.SECONDS);
            }
        }
        return null;
    }

    private static int latency(String uri, int seconds) throws MqttException, InterruptedException {
        long[] samples = new long[1 << 22];
        long[] inGateway = new long[samples.length];
        int[] count = { 0 };
        long[] messages = { 0 };
        long measureFrom = System.currentTimeMillis() + WARM_UP_MILLIS;
        SparkplugSubscriber sub = connect(uri, "pm500-latency-" + ProcessHandle.current().pid(), r -> {
            if (!"DDATA".equals(r.type()) || r.payload() == null || r.receivedAtMillis() < measureFrom) {
                return;
            }
            long acquired = 0;
            for (Metric m : r.payload().getMetrics()) {
                if (m.getTimestamp() != null && !Boolean.TRUE.equals(m.isHistorical())) {
                    acquired = Math.max(acquired, m.getTimestamp().getTime());
                }
            }
            synchronized (samples) {
                messages[0]++;
                if (acquired > 0 && count[0] < samples.length) {
                    // the payload timestamp is when the gateway built the message
                    inGateway[count[0]] = r.payload().getTimestamp().getTime() - acquired;
                    samples[count[0]++] = r.receivedAtMillis() - acquired;
                }
            }
        }, System.out, new CountDownLatch(1));
        System.out.println("Measuring DDATA latency (receipt - acquisition) on " + uri + " for " + seconds
                + " s after a " + WARM_UP_MILLIS / 1000 + " s warm-up ...");
        TimeUnit.MILLISECONDS.sleep(WARM_UP_MILLIS + seconds * 1000L);
        sub.close();
        long[] sorted;
        long[] gateway;
        long total;
        synchronized (samples) {
            sorted = Arrays.copyOf(samples, count[0]);
            gateway = Arrays.copyOf(inGateway, count[0]);
            total = messages[0];
        }
        if (sorted.length == 0) {
            System.out.println("no live DDATA received: is the gateway running and publishing to " + uri + "?");
            return 1;
        }
        Arrays.sort(sorted);
        Arrays.sort(gateway);
        System.out.printf("DDATA messages: %d (%.1f/s); latency ms: p50 %d, p90 %d, p99 %d, max %d%n", total,
                total / (double) seconds, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted[sorted.length - 1]);
        System.out.printf("of which in the gateway (acquisition to publish): p50 %d, p90 %d, p99 %d, max %d%n",
                pct(gateway, 50), pct(gateway, 90), pct(gateway, 99), gateway[gateway.length - 1]);
        return 0;
    }

    /** Floating-point values with the 7 significant digits a meter's REAL carries. */
    private static Object show(Object value) {
        return value instanceof Double d ? String.format("%.7g", d) : value;
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static void askRebirth(SparkplugSubscriber sub, String group, String node, PrintStream out) {
        try {
            Metric rebirth = new Metric.MetricBuilder("Node Control/Rebirth", MetricDataType.Boolean, true)
                    .createMetric();
            byte[] bytes = new SparkplugBPayloadEncoder().getBytes(new SparkplugBPayload(new Date(),
                    List.of(rebirth)), false);
            sub.publish("spBv1.0/" + group + "/NCMD/" + node, bytes, 0, false);
            out.println("(data before births: asked " + group + "/" + node + " for a rebirth)");
        } catch (Exception e) {
            out.println("(could not ask " + group + "/" + node + " for a rebirth: " + e + ")");
        }
    }
}
