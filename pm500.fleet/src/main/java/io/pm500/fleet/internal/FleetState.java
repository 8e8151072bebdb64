package io.pm500.fleet.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the fleet agent has done, kept in {@code <data>/fleet/state.properties} (replaced whole, never half written):
 * the release applied and the last good one, releases that failed their gate (never retried), the last failure, the
 * phase of an apply under way (a gateway that dies while applying rolls back at its next start) and the bundle set
 * before that apply (what a rollback restores). A bundle's source is the SHA-256 of an artifact the agent
 * downloaded ({@code <data>/fleet/artifacts/<sha256>.jar}), {@code factory:<location>} (as the gateway jar carries
 * it) or {@code absent} (not installed).
 */
final class FleetState {
    static final String ABSENT = "absent";
    static final String FACTORY = "factory:";

    enum Phase { IDLE, APPLYING, GATING }

    long current;
    String currentName = "";
    long lastGood;
    long staged;
    Phase phase = Phase.IDLE;
    long applying;
    /** This JVM (pid and start) while it applies: a gate found under way by the same JVM was handed over. */
    String owner = "";
    /** The gate under way: its deadline and the health before the apply, for the agent that takes it over. */
    long gateDeadline;
    long gateSeconds;
    final Set<String> gateMeters = new TreeSet<>();
    final Set<String> gateSinks = new TreeSet<>();
    final Set<String> gateBroken = new TreeSet<>();
    /** The name and features of the release under way, for the state once it passes. */
    String pendingName = "";
    final Set<String> pendingFeatures = new TreeSet<>();
    final Set<Long> failed = new LinkedHashSet<>();
    /** The features the current release was applied with: a change of them is applied without a new release. */
    final Set<String> features = new TreeSet<>();
    long failureRelease;
    Instant failureTime;
    String failureReason = "";
    /** Identity → source of every bundle the agent installed or updated (what is installed now). */
    final Map<String, String> installed = new TreeMap<>();
    /**
     * Identity → the bundle's last-modified time when the agent put it there: a bundle replaced since (the launcher
     * installs the copy of a newer jar) is the jar's again.
     */
    final Map<String, Long> modified = new TreeMap<>();
    /** Identity → source before the apply under way. */
    final Map<String, String> previous = new TreeMap<>();

    private final Path file;

    private FleetState(Path file) {
        this.file = file;
    }

    static FleetState load(Path file) throws IOException {
        FleetState s = new FleetState(file);
        if (!Files.exists(file)) {
            return s;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        s.current = Long.parseLong(p.getProperty("current", "0"));
        s.currentName = p.getProperty("current.name", "");
        s.lastGood = Long.parseLong(p.getProperty("lastGood", "0"));
        s.staged = Long.parseLong(p.getProperty("staged", "0"));
        s.phase = Phase.valueOf(p.getProperty("phase", "IDLE"));
        s.applying = Long.parseLong(p.getProperty("applying", "0"));
        s.owner = p.getProperty("owner", "");
        s.gateDeadline = Long.parseLong(p.getProperty("gate.deadline", "0"));
        s.gateSeconds = Long.parseLong(p.getProperty("gate.seconds", "0"));
        split(p.getProperty("gate.meters", ""), s.gateMeters);
        split(p.getProperty("gate.sinks", ""), s.gateSinks);
        split(p.getProperty("gate.broken", ""), s.gateBroken);
        s.pendingName = p.getProperty("pending.name", "");
        split(p.getProperty("pending.features", ""), s.pendingFeatures);
        for (String f : p.getProperty("failed", "").split(",")) {
            if (!f.isBlank()) {
                s.failed.add(Long.parseLong(f.trim()));
            }
        }
        split(p.getProperty("features", ""), s.features);
        s.failureRelease = Long.parseLong(p.getProperty("failure.release", "0"));
        String time = p.getProperty("failure.time", "");
        s.failureTime = time.isEmpty() ? null : Instant.parse(time);
        s.failureReason = p.getProperty("failure.reason", "");
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("installed.")) {
                s.installed.put(key.substring(10), p.getProperty(key));
            } else if (key.startsWith("modified.")) {
                s.modified.put(key.substring(9), Long.parseLong(p.getProperty(key)));
            } else if (key.startsWith("previous.")) {
                s.previous.put(key.substring(9), p.getProperty(key));
            }
        }
        return s;
    }

    /** Names are bundle symbolic names, meter ids, sink names and component names: none holds a newline or '|'. */
    private static void split(String text, Set<String> into) {
        for (String f : text.split("\\|")) {
            if (!f.isBlank()) {
                into.add(f.trim());
            }
        }
    }

    void store() throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("current", Long.toString(current));
        p.put("current.name", currentName);
        p.put("lastGood", Long.toString(lastGood));
        p.put("staged", Long.toString(staged));
        p.put("phase", phase.name());
        p.put("applying", Long.toString(applying));
        p.put("failed", String.join(",", failed.stream().map(String::valueOf).toList()));
        p.put("features", String.join("|", features));
        p.put("owner", owner);
        p.put("gate.deadline", Long.toString(gateDeadline));
        p.put("gate.seconds", Long.toString(gateSeconds));
        p.put("gate.meters", String.join("|", gateMeters));
        p.put("gate.sinks", String.join("|", gateSinks));
        p.put("gate.broken", String.join("|", gateBroken));
        p.put("pending.name", pendingName);
        p.put("pending.features", String.join("|", pendingFeatures));
        p.put("failure.release", Long.toString(failureRelease));
        p.put("failure.time", failureTime == null ? "" : failureTime.toString());
        p.put("failure.reason", failureReason);
        installed.forEach((k, v) -> p.put("installed." + k, v));
        previous.forEach((k, v) -> p.put("previous." + k, v));
        modified.forEach((k, v) -> p.put("modified." + k, Long.toString(v)));
        Properties props = new Properties();
        props.putAll(p);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            props.store(w, "PM500 fleet agent state: written by the gateway, do not edit");
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
