package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, fault 6: a {@code .cfg} copied into a fresh gateway home was once found wiped to 0 bytes after the first
 * start (its configuration at revision 2 with no properties). Fresh homes with many configuration files of every kind
 * are started and stopped several times; every file must be byte for byte what was written, and every configuration
 * must reach its component with its properties.
 */
class GatewayConfFilesIT {
    private static final Pattern STARTED = Pattern.compile("(PM500 gateway \\S+ started)");
    private static final int STARTS = 4;

    @TempDir
    Path dir;

    @Test
    void freshHomesWithManyCfgFilesNeverHaveAFileRewrittenOrEmptied() throws Exception {
        for (int start = 0; start < STARTS; start++) {
            Map<Path, String> written = new LinkedHashMap<>();
            try (GatewayProcess gateway = new GatewayProcess(dir.resolve("home-" + start))) {
                Path conf = gateway.home().resolve("conf");
                for (int i = 1; i <= 6; i++) {
                    written.put(conf.resolve("pm500.asset-m" + i + ".cfg"), "meterId=m" + i + "\nsite=plant1\narea=line"
                            + i + "\nasset=feeder-" + i + "\nctRatio=" + (100 * i) + "\n");
                    written.put(conf.resolve("pm500.driver.modbus-m" + i + ".cfg"), "meterId=m" + i
                            + "\nhost=127.0.0.1\nport=9\nprofile=pm500\n");
                }
                for (int i = 1; i <= 4; i++) {
                    written.put(conf.resolve("pm500.sink.influx-capture" + i + ".cfg"), "sink.name=capture" + i
                            + "\nurl=http://127.0.0.1:9\nbucket=b" + i + "\n");
                    written.put(conf.resolve("pm500.route-capture" + i + ".cfg"), "sinkName=capture" + i
                            + "\nbatchSize=" + (1000 * i) + "\n");
                }
                written.put(conf.resolve("pm500.sink.sparkplug-edge.cfg"), "sink.name=edge\nedgeNodeId=edge-1\n"
                        + "brokerUris=tcp://127.0.0.1:9\n");
                written.put(conf.resolve("pm500.pipeline.cfg"), "staleFactor=5\n");
                for (Map.Entry<Path, String> f : written.entrySet()) {
                    Files.writeString(f.getKey(), f.getValue());
                }
                gateway.launch(GatewayProcess.freePort());
                gateway.await(STARTED, Duration.ofSeconds(60));
                for (int i = 1; i <= 4; i++) {
                    gateway.await(Pattern.compile("(Started influx 'capture" + i + "' \\(http://127\\.0\\.0\\.1:9, bucket b"
                            + i + "\\))"), Duration.ofSeconds(30));
                }
                Thread.sleep(2500); // conf/ is applied within a second of a change: a write-back would have happened by now
                gateway.process().destroy();
                assertThat(gateway.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                for (Map.Entry<Path, String> f : written.entrySet()) {
                    assertThat(Files.readString(f.getKey())).as("start %d: %s; the gateway's log:%n%s", start,
                            f.getKey().getFileName(), String.join("\n", gateway.output())).isEqualTo(f.getValue());
                }
            }
        }
    }
}
