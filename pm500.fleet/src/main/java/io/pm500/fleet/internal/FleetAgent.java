package io.pm500.fleet.internal;

import io.pm500.api.status.FleetStatus;
import io.pm500.api.status.StatusSource;
import io.pm500.kit.config.ConfigValues;
import io.pm500.kit.config.SettingFiles;
import io.pm500.kit.tls.PemTls;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet agent: on its schedule (interval plus a random jitter, so a fleet does not arrive at once) it runs an
 * {@link Updater} pass on its own thread; a repository that is down or slow delays only that thread. Off until
 * configured ({@code pm500.fleet}). Its state is a {@link StatusSource} for the status page, {@code /metrics} and
 * {@code status.json}.
 */
@Component(configurationPid = FleetAgent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = StatusSource.class)
@Designate(ocd = FleetAgent.Config.class)
public final class FleetAgent implements StatusSource {
    static final String PID = "pm500.fleet";
    private static final Logger LOG = LoggerFactory.getLogger(FleetAgent.class);

    @ObjectClassDefinition(name = "PM500 fleet updates", description = "Updates this gateway's bundles from an OSGi"
            + " repository index (signed) and rolls back by itself when an update fails its health gate.")
    public @interface Config {
        @AttributeDefinition(name = "Repository URLs", description = "Base URLs tried in turn; the index is"
                + " <url>/<channel>/index.xml with its signature index.xml.sig (http:// or https://).")
        String[] repositoryUrls();

        @AttributeDefinition(name = "Channel", description = "Which release line to follow, e.g. stable or canary.")
        String channel() default "stable";

        @AttributeDefinition(name = "Poll interval (s)", min = "1", description = "How often the index is read"
                + " (a conditional request: an unchanged index costs a few hundred bytes).")
        long pollIntervalSeconds() default 3600;

        @AttributeDefinition(name = "Jitter (s)", min = "0", description = "A random delay up to this long is added"
                + " to every poll.")
        long jitterSeconds() default 600;

        @AttributeDefinition(name = "Maintenance window", description = "HH:MM-HH:MM local time in which a staged"
                + " release is applied (may span midnight); empty: at any time.")
        String maintenanceWindow() default "";

        @AttributeDefinition(name = "Public key file", description = "PEM public key (Ed25519, RSA or EC) that"
                + " signs the index, e.g. /etc/pm500/fleet-public.pem.")
        String publicKeyFile();

        @AttributeDefinition(name = "CA file", description = "PEM CA certificate(s) for https:// repositories;"
                + " empty: the JVM's trust store.")
        String caFile() default "";

        @AttributeDefinition(name = "Health gate (s)", min = "5", description = "How long an applied release has"
                + " to be healthy (every bundle active, no component failing, every meter and sink up before it is"
                + " up again) before it is rolled back.")
        long healthGateSeconds() default 120;

        @AttributeDefinition(name = "Features", description = "Further bundles by symbolic name, installed from the"
                + " repository with what they need (e.g. a third-party sink); removing one uninstalls it.")
        String[] features() default {};

        @AttributeDefinition(name = "Timeout (s)", min = "1", description = "Connect and read timeout of each"
                + " request.")
        int timeoutSeconds() default 30;
    }

    /** A window of local time; {@code null} bounds: always. */
    record Window(LocalTime from, LocalTime to) {
        static Window parse(String text) {
            if (text.isBlank()) {
                return new Window(null, null);
            }
            String[] parts = text.trim().split("-");
            try {
                if (parts.length == 2) {
                    return new Window(LocalTime.parse(parts[0].trim()), LocalTime.parse(parts[1].trim()));
                }
            } catch (DateTimeParseException e) {
                // below
            }
            throw new IllegalArgumentException("configuration " + PID + ": maintenanceWindow '" + text + "' is not"
                    + " HH:MM-HH:MM (e.g. 02:00-04:30), or empty for any time");
        }

        boolean contains(LocalTime t) {
            if (from == null) {
                return true;
            }
            return from.isBefore(to) ? !t.isBefore(from) && t.isBefore(to) : !t.isBefore(from) || t.isBefore(to);
        }
    }

    private final Updater updater;
    private final Path stateFile;
    private volatile FleetStatus status = FleetStatus.builder(0, "IDLE").build();
    private volatile Instant lastPoll;
    private volatile String lastPollProblem = "";
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pm500-fleet");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> schedule;
    /** Only the agent's thread touches these. */
    private long failingSince;
    private int failedPolls;

    @Activate
    public FleetAgent(BundleContext context, Map<String, Object> properties) {
        String data = context.getProperty("pm500.data.dir");
        Path dir = Path.of(data == null || data.isBlank() ? "data" : data).toAbsolutePath().resolve("fleet");
        this.updater = new Updater(context.getBundle(0).getBundleContext(), dir, context.getBundle());
        this.stateFile = dir.resolve("state.properties");
        configure(properties);
        refreshStatus();
    }

    @Modified
    synchronized void configure(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        if (config.repositoryUrls().length == 0) {
            throw new IllegalArgumentException("configuration " + PID + ": repositoryUrls is empty: give the URL of"
                    + " the fleet's repository (e.g. https://updates.example.com/pm500)");
        }
        if (config.healthGateSeconds() < 5 || config.timeoutSeconds() < 1 || config.pollIntervalSeconds() < 1
                || config.jitterSeconds() < 0) {
            throw new IllegalArgumentException("configuration " + PID + ": healthGateSeconds must be ≥ 5,"
                    + " timeoutSeconds and pollIntervalSeconds ≥ 1, jitterSeconds ≥ 0; got " + config.healthGateSeconds()
                    + ", " + config.timeoutSeconds() + ", " + config.pollIntervalSeconds() + ", "
                    + config.jitterSeconds());
        }
        Window window = Window.parse(config.maintenanceWindow());
        Path keyFile = SettingFiles.optionalFile(PID, "publicKeyFile", config.publicKeyFile());
        if (keyFile == null) {
            throw new IllegalArgumentException("configuration " + PID + ": publicKeyFile is required: the PEM public"
                    + " key the fleet's index is signed with");
        }
        PublicKey key;
        try {
            key = Repository.publicKey(keyFile);
        } catch (IOException e) {
            throw new IllegalArgumentException("configuration " + PID + ": publicKeyFile: " + e.getMessage(), e);
        }
        Path ca = SettingFiles.optionalFile(PID, "caFile", config.caFile());
        SSLContext tls = ca == null ? null : PemTls.context(PID, ca, null, null);
        Duration timeout = Duration.ofSeconds(config.timeoutSeconds());
        List<Repository> repositories = new ArrayList<>();
        for (String url : config.repositoryUrls()) {
            URI base = URI.create(url.trim());
            if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
                throw new IllegalArgumentException("configuration " + PID + ": repositoryUrls '" + url + "' is not an"
                        + " http:// or https:// URL");
            }
            repositories.add(new Repository(base, config.channel().trim(), tls, timeout));
        }
        List<String> features = List.of(config.features());
        Duration gate = Duration.ofSeconds(config.healthGateSeconds());
        if (schedule != null) {
            schedule.cancel(false);
        }
        long interval = config.pollIntervalSeconds();
        long jitter = config.jitterSeconds();
        Runnable pass = () -> pass(new Updater.Settings(repositories, key, features,
                window.contains(LocalTime.now()), gate));
        // the first pass 5 s after start and without jitter: a rollback owed from a crash, a gate to take over
        boolean[] first = { true };
        schedule = thread.scheduleWithFixedDelay(() -> {
            if (!first[0]) {
                sleepJitter(jitter);
            }
            first[0] = false;
            pass.run();
        }, 5, interval, TimeUnit.SECONDS);
        LOG.info("Fleet: following channel '{}' of {} every {} s (+ up to {} s), window {}, features {}",
                config.channel(), repositories.stream().map(Repository::index).toList(), interval, jitter,
                config.maintenanceWindow().isBlank() ? "any time" : config.maintenanceWindow(), features);
    }

    private static void sleepJitter(long jitterSeconds) {
        if (jitterSeconds > 0) {
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(jitterSeconds * 1000 + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void pass(Updater.Settings settings) {
        if (Thread.currentThread().isInterrupted()) {
            return;
        }
        try {
            if (!updater.pass(settings)) {
                LOG.debug("Fleet: a pass is already under way");
            }
            lastPollProblem = "";
            if (failingSince != 0) {
                LOG.info("Fleet: the repository answers again ({} failed polls)", failedPolls);
                failingSince = 0;
                failedPolls = 0;
            }
        } catch (Updater.FleetException | IOException e) {
            lastPollProblem = e.getMessage();
            // said when it starts, then only counted: the agent polls for as long as it lasts
            if (failedPolls++ == 0) {
                failingSince = System.currentTimeMillis();
                LOG.warn("Fleet: {}; trying again at every poll", e.getMessage());
            } else {
                LOG.debug("Fleet: still failing ({} polls): {}", failedPolls, e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            lastPollProblem = e.toString();
            LOG.error("Fleet: the update pass failed", e);
        } finally {
            lastPoll = Instant.now();
            refreshStatus();
        }
    }

    private void refreshStatus() {
        try {
            FleetState s = FleetState.load(stateFile);
            status = FleetStatus.builder(s.current, s.phase.name()).currentName(s.currentName).lastGood(s.lastGood)
                    .staged(s.staged > s.current ? s.staged : 0)
                    .failed(s.failureRelease, s.failureTime, s.failureReason).lastPoll(lastPoll, lastPollProblem)
                    .build();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Fleet: cannot read {}: {}", stateFile, e.toString());
        }
    }

    @Override
    public Optional<FleetStatus> fleet() {
        return Optional.of(status);
    }

    /**
     * Stops scheduling; a pass under way (it may be refreshing this very bundle) runs to its end on its thread.
     */
    @Deactivate
    synchronized void deactivate() {
        thread.shutdown();
    }
}
