package io.pm500.sink.sparkplug.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.MeterCatalog;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.FleetStatus;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkStatus;
import io.pm500.api.status.StatusSource;
import io.pm500.kit.config.ConfigValues;
import io.pm500.kit.config.SettingFiles;
import io.pm500.kit.tls.PemTls;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Sparkplug B edge node as a {@link Sink}: one factory configuration per broker set. The session rules are in
 * {@link EdgeNode}; the data contract in {@code docs/sparkplug-b.md}.
 */
@Component(configurationPid = SparkplugSinkComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Sink.class, immediate = true)
@Designate(ocd = SparkplugSinkComponent.Config.class, factory = true)
public final class SparkplugSinkComponent implements Sink {
    static final String PID = "pm500.sink.sparkplug";
    private static final Logger LOG = LoggerFactory.getLogger(SparkplugSinkComponent.class);

    @ObjectClassDefinition(name = "PM500 Sparkplug B sink", description = "Publishes the meters as Sparkplug B 3.0"
            + " devices of one edge node over MQTT 5.")
    public @interface Config {
        @AttributeDefinition(name = "Sink name", description = "Keys this sink's outbox and route; keep it stable.")
        String sink_name() default "sparkplug";

        @AttributeDefinition(name = "Group id", description = "Sparkplug group id; no '/', '+' or '#'.")
        String groupId() default "pm500";

        @AttributeDefinition(name = "Edge node id", description = "Empty: <site>-<area> of the configured assets"
                + " (they must share one site and area), else pm500-<host name>. No '/', '+' or '#'.")
        String edgeNodeId() default "";

        @AttributeDefinition(name = "Broker URIs", description = "tcp://host:port or ssl://host:port; the next one"
                + " is tried when a connection fails, on NCMD Next Server, or when the primary host goes offline.")
        String[] brokerUris() default { "tcp://127.0.0.1:1883" };

        @AttributeDefinition(name = "MQTT client id", description = "Empty: <group id>-<edge node id>.")
        String clientId() default "";

        @AttributeDefinition(name = "User name", description = "Empty: no authentication.")
        String username() default "";

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD, description = "Or use the password"
                + " file. Never logged.")
        String _password() default "";

        @AttributeDefinition(name = "Password file", description = "A file whose first line is the password (a"
                + " secret mounted by the plant's tooling); wins over the password field.")
        String passwordFile() default "";

        @AttributeDefinition(name = "CA certificate file", description = "PEM file of the CA(s) that sign the"
                + " broker's certificate, for ssl:// URIs. Empty: the JVM's trust store.")
        String caFile() default "";

        @AttributeDefinition(name = "Client certificate file", description = "PEM certificate (chain) when the"
                + " broker requires client certificates.")
        String clientCertFile() default "";

        @AttributeDefinition(name = "Client key file", description = "The client certificate's private key, PEM"
                + " PKCS#8, unencrypted.")
        String clientKeyFile() default "";

        @AttributeDefinition(name = "Primary host id", description = "When set, births wait for this host's STATE"
                + " online and readings are held (then sent as historical) while it is offline.")
        String primaryHostId() default "";

        @AttributeDefinition(name = "Keep alive (s)")
        int keepAliveSeconds() default 30;

        @AttributeDefinition(name = "Connect timeout (s)")
        int connectTimeoutSeconds() default 10;

        @AttributeDefinition(name = "Template mode", description = "Group each meter's metrics into template"
                + " instances (UDTs: Process, Energy, Demand, Maximum, Status) defined in the NBIRTH, instead of plain"
                + " folder-style metrics.")
        boolean templates() default false;

        @AttributeDefinition(name = "Scan rate (ms)", description = "How often the gateway's health NDATA is sent;"
                + " hosts may change it with NCMD Node Control/Scan Rate. At least 1000.")
        long scanRateMillis() default 10_000;

        @AttributeDefinition(name = "Rebirth debounce (ms)", description = "An NCMD Rebirth sooner than this after"
                + " the last births is answered at the end of that window, once for all requests meanwhile, so a"
                + " host in a loop cannot make the node re-send every birth back to back. 0 = answer each at once.")
        long rebirthDebounceMillis() default 5000;

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "Sparkplug sink {sink.name}: {groupId}/{edgeNodeId}";
    }

    private final List<StatusSource> statusSources = new CopyOnWriteArrayList<>();
    private final Sessions sessions;
    /** The pipeline's "retry now", called whenever a session is online with its births out. */
    private volatile Runnable ready = () -> { };
    private volatile String sinkName;

    @Activate
    public SparkplugSinkComponent(Map<String, Object> properties, BundleContext context) {
        String dataDir = context.getProperty("pm500.data.dir");
        sessions = new Sessions(Path.of(dataDir == null ? "data" : dataDir), this::health, () -> ready.run());
        configure(properties);
    }

    /** A changed configuration ends the session properly (NDEATH) and starts a new one. */
    @Modified
    void configure(Map<String, Object> properties) {
        Config c = ConfigValues.read(properties, Config.class, LOG);
        try {
            sessions.configure(c.edgeNodeId().isBlank() ? null : c.edgeNodeId().trim(), id -> settings(c, id));
            sinkName = c.sink_name().trim(); // checked by settings()
        } catch (IllegalArgumentException e) {
            LOG.error("{}", e.getMessage());
            throw e;
        }
    }

    /** The pipeline's catalogue: with an empty edgeNodeId, the node id is derived (again) from the assets. */
    @Override
    public void catalog(MeterCatalog catalog) {
        sessions.catalog(catalog);
    }

    @Deactivate
    void deactivate() {
        sessions.stop();
    }

    @Override
    public void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        sessions.deliver(batch, historical);
    }

    @Override
    public void onReady(Runnable r) {
        ready = r;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindStatusSource(StatusSource source) {
        statusSources.add(source);
    }

    void unbindStatusSource(StatusSource source) {
        statusSources.remove(source);
    }

    private NodeHealth health() {
        int meters = 0;
        int online = 0;
        long queued = 0;
        long dropped = 0;
        long dead = 0;
        for (StatusSource source : statusSources) {
            for (MeterStatus m : source.meters()) {
                meters++;
                online += m.state() == ConnectionState.CONNECTED ? 1 : 0;
            }
            for (SinkStatus st : source.sinks()) {
                if (st.sinkName().equals(sinkName)) {
                    queued = st.queued();
                    dropped = st.dropped();
                    dead = st.deadLettered();
                }
            }
        }
        FleetStatus fleet = statusSources.stream().map(StatusSource::fleet).flatMap(Optional::stream).findFirst()
                .orElse(null);
        return new NodeHealth(meters, online, queued, dropped, dead, fleet == null ? 0 : fleet.currentRelease(),
                fleet == null ? 0 : fleet.failedRelease());
    }

    private SparkplugSettings settings(Config c, String edgeNodeId) {
        String sink = Sink.checkName(c.sink_name() == null ? "" : c.sink_name().trim(), "sparkplug: sink.name");
        String group = SparkplugSettings.checkId(c.groupId(), "groupId");
        String nodeId = SparkplugSettings.checkId(edgeNodeId,
                c.edgeNodeId().isBlank() ? "edgeNodeId (derived from the assets' site and area)" : "edgeNodeId");
        String clientId = c.clientId().isBlank() ? group + "-" + nodeId : c.clientId().trim();
        if (c.keepAliveSeconds() < 1 || c.connectTimeoutSeconds() < 1 || c.scanRateMillis() < 1000
                || c.rebirthDebounceMillis() < 0) {
            throw new IllegalArgumentException("sparkplug: keepAliveSeconds and connectTimeoutSeconds must be ≥ 1,"
                    + " scanRateMillis ≥ 1000 and rebirthDebounceMillis ≥ 0; got " + c.keepAliveSeconds() + ", "
                    + c.connectTimeoutSeconds() + ", " + c.scanRateMillis() + ", " + c.rebirthDebounceMillis());
        }
        Path cert = SettingFiles.optionalFile("sparkplug", "clientCertFile", c.clientCertFile());
        Path key = SettingFiles.optionalFile("sparkplug", "clientKeyFile", c.clientKeyFile());
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("sparkplug: give both clientCertFile and clientKeyFile, or neither");
        }
        String host = c.primaryHostId().isBlank() ? "" : SparkplugSettings.checkId(c.primaryHostId().trim(),
                "primaryHostId");
        byte[] password = SettingFiles.secret("sparkplug", "passwordFile", c._password(), c.passwordFile());
        SparkplugSettings s = new SparkplugSettings(sink, group, nodeId, SparkplugSettings.checkUris(c.brokerUris()),
                clientId, c.username().trim(), password, SettingFiles.optionalFile("sparkplug", "caFile", c.caFile()),
                cert, key, host, c.keepAliveSeconds(), c.connectTimeoutSeconds(), c.scanRateMillis(),
                c.rebirthDebounceMillis(), c.templates());
        if (s.usesTls()) {
            // refuse a broken CA, certificate or key now, not at connect
            PemTls.context("sparkplug", s.caFile(), cert, key);
            if (cert != null) {
                PemTls.validityProblem("sparkplug", "clientCertFile", cert, Instant.now())
                        .ifPresent(problem -> LOG.warn("{}", problem));
            }
        }
        return s;
    }
}
