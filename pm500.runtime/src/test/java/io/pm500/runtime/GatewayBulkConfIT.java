package io.pm500.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: {@code .cfg} files dropped into a running gateway's {@code conf/} in bulk were silently lost — FileInstall's
 * NIO watcher dropped the events past its queue (OVERFLOW) and never rescanned; {@code ConfFolder} reads the folder
 * again when that happens. 2,000 meter files written at once (not atomically: created, then filled) into a started
 * gateway must all become configurations (disabled meters: each logs one line, none polls).
 */
@Tag("slow")
class GatewayBulkConfIT {
    private static final Pattern STARTED = Pattern.compile("(PM500 gateway \\S+ started)");
    private static final Pattern DISABLED = Pattern.compile("Modbus meter (bulk-\\d+): disabled");
    private static final int FILES = 2000;

    @TempDir
    Path dir;

    @Test
    void twoThousandCfgFilesDroppedAtOnceIntoARunningGatewayAllLoad() throws Exception {
        try (GatewayProcess gateway = new GatewayProcess(dir.resolve("home"))) {
            gateway.launch(GatewayProcess.freePort());
            gateway.await(STARTED, Duration.ofSeconds(60));
            Path conf = gateway.home().resolve("conf");
            long t0 = System.nanoTime();
            for (int i = 1; i <= FILES; i++) {
                Files.writeString(conf.resolve("pm500.driver.modbus-bulk-" + i + ".cfg"),
                        "meterId=bulk-" + i + "\nhost=127.0.0.1\nport=9\nenabled=false\n");
            }
            Set<String> loaded = new HashSet<>();
            int[] seen = { 0 };
            Await.until(Duration.ofSeconds(120), () -> loaded.size() + " of " + FILES + " meters configured", () -> {
                List<String> lines = gateway.output();
                for (int i = seen[0]; i < lines.size(); i++) {
                    Matcher m = DISABLED.matcher(lines.get(i));
                    if (m.find()) {
                        loaded.add(m.group(1));
                    }
                }
                seen[0] = lines.size();
                return loaded.size() == FILES;
            });
            System.out.printf("%d cfg files dropped at once: all configured %d ms after the first was written%n",
                    FILES, (System.nanoTime() - t0) / 1_000_000);
            assertThat(loaded).hasSize(FILES);
        }
    }
}
