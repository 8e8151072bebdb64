package io.pm500.runtime.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.felix.utils.properties.InterpolationHelper;
import org.apache.felix.utils.properties.TypedProperties;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds {@code conf/*.cfg} and {@code conf/*.config} to Config Admin, in the format and with the pids Felix
 * FileInstall used ({@code <pid>.cfg}, {@code <factoryPid>-<name>.cfg} → {@code <factoryPid>~<name>}; Felix's typed
 * properties with {@code ${…}} substitution), so files and stored configurations carry over.
 *
 * <p>FileInstall (still used for {@code deploy/}) scanned the folder every second — two stats per file, a quarter of
 * the gateway's CPU at 2,000 meters — and looked each file's configuration up with a filter, a pass over every
 * configuration (O(N²) for N files). Here a watch service reports changes, a file's configuration is found by its pid,
 * and the folder is listed only at start and when the watch service lost events (it reports an overflow past 512
 * pending events: FileInstall ignored that, and files dropped in bulk were never loaded).
 */
@Component(immediate = true, service = {}, configurationPolicy = ConfigurationPolicy.IGNORE)
public final class ConfFolder {
    /** A file's events are gathered until it has been quiet this long, so a file being written is read once whole. */
    static final long QUIET_MILLIS = 100;
    /** ... but no longer than this, so that a stream of new files is applied while it goes on. */
    static final long GATHER_MAX_MILLIS = 1000;
    /** Up to this many changes are logged one by one; a larger batch (provisioning) is logged as a summary. */
    private static final int LOG_EACH_UP_TO = 20;
    private static final Logger LOG = LoggerFactory.getLogger(ConfFolder.class);

    private record Seen(long modifiedMillis, long size) {
    }

    private final ConfigurationAdmin configAdmin;
    private final Path dir;
    private final TypedProperties.SubstitutionCallback substitution;
    private final WatchService watcher;
    private final Thread thread;
    /** Cleared when the component stops: a batch being applied (thousands of files at start) stops at the next file. */
    private volatile boolean running = true;
    /** What was applied per file name; touched by the folder's thread only. */
    private final Map<String, Seen> applied = new HashMap<>();

    @Activate
    public ConfFolder(BundleContext context, @Reference ConfigurationAdmin configAdmin) throws IOException {
        this.configAdmin = configAdmin;
        this.dir = Layout.of(context).conf();
        Files.createDirectories(dir);
        InterpolationHelper.SubstitutionCallback properties =
                new InterpolationHelper.BundleContextSubstitutionCallback(context);
        this.substitution = (name, key, value) -> properties.getValue(value);
        this.watcher = dir.getFileSystem().newWatchService();
        // watching before the first listing: a file written in between is seen by one or the other
        dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        this.thread = new Thread(this::run, "pm500-conf");
        thread.setDaemon(true);
        thread.start();
    }

    @Deactivate
    void deactivate() throws IOException, InterruptedException {
        running = false;
        watcher.close();
        thread.join(TimeUnit.SECONDS.toMillis(10));
        if (thread.isAlive()) {
            LOG.warn("conf/ {}: the loader thread did not end within 10 s of its stop (Config Admin busy?)", dir);
        }
    }

    private void run() {
        apply(listing(), true);
        Set<String> pending = new LinkedHashSet<>();
        boolean overflow = false;
        try {
            while (true) {
                WatchKey key = watcher.take();
                long first = System.nanoTime();
                do {
                    for (WatchEvent<?> event : key.pollEvents()) {
                        if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                            overflow = true;
                        } else if (isConfigFile(event.context().toString())) {
                            pending.add(event.context().toString());
                        }
                    }
                    if (!key.reset()) {
                        LOG.error("conf/ {} is gone: configuration files are no longer read. Recreate it and restart"
                                + " the gateway", dir);
                        return;
                    }
                } while (System.nanoTime() - first < TimeUnit.MILLISECONDS.toNanos(GATHER_MAX_MILLIS)
                        && (key = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)) != null);
                if (overflow) {
                    LOG.info("conf/ changed faster than its changes could be reported: reading the whole folder {}",
                            dir);
                    pending.addAll(listing());
                    pending.addAll(applied.keySet()); // those not listed any more were deleted
                    overflow = false;
                }
                apply(pending, false);
                pending.clear();
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // deactivated
        }
    }

    private Set<String> listing() {
        Set<String> names = new LinkedHashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                if (isConfigFile(file.getFileName().toString())) {
                    names.add(file.getFileName().toString());
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            LOG.error("conf/ {} cannot be listed ({}); configuration files are read when they change", dir,
                    e.toString());
        }
        return names;
    }

    static boolean isConfigFile(String name) {
        return (name.endsWith(".cfg") || name.endsWith(".config")) && !name.startsWith(".");
    }

    /** Applies each named file (created, changed or deleted); at start every file, unchanged ones included. */
    private void apply(Set<String> names, boolean atStart) {
        long t0 = System.nanoTime();
        List<String> created = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        int failed = 0;
        for (String name : names) {
            if (!running) {
                return;
            }
            try {
                switch (applyFile(name, atStart)) {
                    case CREATED -> created.add(name);
                    case UPDATED -> updated.add(name);
                    case DELETED -> deleted.add(name);
                    case UNCHANGED -> { }
                }
            } catch (BadFileException e) {
                failed++;
                LOG.error("conf/{}: {}. Its configuration is unchanged; fix the file (it is read again when it"
                        + " changes)", name, e.getMessage());
            } catch (IOException | RuntimeException e) {
                failed++;
                LOG.error("conf/{}: could not be applied to Config Admin ({}); it is tried again when the file"
                        + " changes", name, e.toString());
            }
        }
        int changes = created.size() + updated.size() + deleted.size();
        if (changes <= LOG_EACH_UP_TO) {
            created.forEach(n -> LOG.info("Configuration {} created from conf/{}", pidOf(n), n));
            updated.forEach(n -> LOG.info("Configuration {} updated from conf/{}", pidOf(n), n));
            deleted.forEach(n -> LOG.info("Configuration {} deleted: conf/{} is gone", pidOf(n), n));
        } else {
            LOG.info("conf/: {} configurations created, {} updated, {} deleted{} in {} ms", created.size(),
                    updated.size(), deleted.size(), failed == 0 ? "" : ", " + failed + " files refused",
                    (System.nanoTime() - t0) / 1_000_000);
        }
        if (atStart) {
            LOG.info("conf/ {}: {} configuration files read, {} applied", dir, names.size(), changes);
        }
    }

    private enum Outcome { CREATED, UPDATED, DELETED, UNCHANGED }

    private Outcome applyFile(String name, boolean atStart) throws IOException, BadFileException {
        Path file = dir.resolve(name);
        BasicFileAttributes attributes;
        byte[] content;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                return Outcome.UNCHANGED;
            }
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException gone) {
            applied.remove(name);
            return delete(file) ? Outcome.DELETED : Outcome.UNCHANGED;
        }
        Seen seen = new Seen(attributes.lastModifiedTime().toMillis(), attributes.size());
        if (!atStart && seen.equals(applied.get(name))) {
            return Outcome.UNCHANGED; // e.g. listed again after an overflow
        }
        Hashtable<String, Object> properties = parse(content, substitution);
        String uri = file.toUri().toString();
        properties.put(ConfigStore.FILENAME, uri);
        Configuration configuration = configuration(name);
        boolean existed = configuration.getProperties() != null;
        boolean changed = configuration.updateIfDifferent(properties);
        applied.put(name, seen);
        return !changed ? Outcome.UNCHANGED : existed ? Outcome.UPDATED : Outcome.CREATED;
    }

    /**
     * Deletes the configuration a deleted file made (not one of the same pid made in the console). Looked up with a
     * filter, a pass over all configurations, as deletions are rare: {@code getConfiguration} would create one.
     */
    private boolean delete(Path file) throws IOException {
        String uri = file.toUri().toString();
        Configuration[] found;
        try {
            found = configAdmin.listConfigurations("(" + ConfigStore.FILENAME + "=" + escape(uri) + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("file name " + uri + " makes no filter: " + e.getMessage(), e);
        }
        if (found == null) {
            return false;
        }
        for (Configuration configuration : found) {
            configuration.delete();
        }
        return true;
    }

    /** RFC 1960 filter value: {@code \}, {@code *}, {@code (} and {@code )} escaped. */
    private static String escape(String value) {
        StringBuilder escaped = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    /** The configuration of a file: {@code a.cfg} → pid {@code a}; {@code a-b.cfg} → factory {@code a}, name b. */
    private Configuration configuration(String name) throws IOException {
        String base = name.substring(0, name.lastIndexOf('.'));
        int dash = base.indexOf('-');
        return dash > 0 ? configAdmin.getFactoryConfiguration(base.substring(0, dash), base.substring(dash + 1), "?")
                : configAdmin.getConfiguration(base, "?");
    }

    static String pidOf(String name) {
        String base = name.substring(0, name.lastIndexOf('.'));
        int dash = base.indexOf('-');
        return dash > 0 ? base.substring(0, dash) + "~" + base.substring(dash + 1) : base;
    }

    /**
     * Felix's typed properties (as FileInstall read them), decoded as UTF-8, or as ISO-8859-1 (FileInstall's
     * default) when the file is not valid UTF-8.
     */
    static Hashtable<String, Object> parse(byte[] content, TypedProperties.SubstitutionCallback substitution)
            throws BadFileException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException notUtf8) {
            text = new String(content, StandardCharsets.ISO_8859_1);
        }
        TypedProperties typed = new TypedProperties(substitution);
        Hashtable<String, Object> properties = new Hashtable<>();
        String key = null;
        try {
            typed.load(new StringReader(text));
            for (String k : typed.keySet()) {
                key = k;
                properties.put(k, typed.get(k)); // a typed value (I"5") is converted here
            }
        } catch (IOException | RuntimeException e) {
            throw new BadFileException((key == null ? "cannot be read as properties" : "the value of '" + key
                    + "' cannot be read") + " (" + e + ")");
        }
        return properties;
    }

    static final class BadFileException extends Exception {
        private static final long serialVersionUID = 1L;

        BadFileException(String message) {
            super(message);
        }
    }
}
