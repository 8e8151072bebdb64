package io.pm500.sink.influx.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.kit.config.ConfigValues;
import io.pm500.kit.config.SettingFiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes enriched readings to an InfluxDB-compatible historian as line protocol ({@code
 * docs/influx-line-protocol.md}), one factory configuration per historian. The pipeline's outbox is the buffer:
 * {@link #deliver} returns only when the server accepted the whole batch.
 */
@Component(configurationPid = InfluxSinkComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Sink.class, immediate = true)
@Designate(ocd = InfluxSinkComponent.Config.class, factory = true)
public final class InfluxSinkComponent implements Sink {
    static final String PID = "pm500.sink.influx";
    private static final Logger LOG = LoggerFactory.getLogger(InfluxSinkComponent.class);

    @ObjectClassDefinition(name = "PM500 InfluxDB sink", description = "Writes every reading to an InfluxDB-compatible"
            + " historian as line protocol (InfluxDB 1.x, 2.x, 3.x, QuestDB, …). Batching: the sink's route.")
    public @interface Config {
        @AttributeDefinition(name = "Sink name", description = "Keys this sink's outbox and route; keep it stable.")
        String sink_name() default "influx";

        @AttributeDefinition(name = "Write API", options = {
                @Option(value = "v2", label = "v2: /api/v2/write (InfluxDB 2.x, 3.x, 1.8+ compatibility)"),
                @Option(value = "v1", label = "v1: /write?db= (InfluxDB 1.x before 1.8)") })
        String api() default "v2";

        @AttributeDefinition(name = "URL", description = "http://host:8086, or https:// for TLS.")
        String url() default "http://127.0.0.1:8086";

        @AttributeDefinition(name = "Organisation", description = "v2: the organisation (InfluxDB 2.x); InfluxDB 1.8"
                + " and 3.x ignore it.")
        String org() default "";

        @AttributeDefinition(name = "Bucket", description = "v2: the bucket; on InfluxDB 1.8+"
                + " <database>/<retention policy>.")
        String bucket() default "";

        @AttributeDefinition(name = "Token", type = AttributeType.PASSWORD, description = "v2: API token with write"
                + " permission (InfluxDB 1.8+: <user>:<password>). Or use the token file. Never logged.")
        String _token() default "";

        @AttributeDefinition(name = "Token file", description = "v2: a file whose first line is the token; wins over"
                + " the token field.")
        String tokenFile() default "";

        @AttributeDefinition(name = "Database", description = "v1: the database.")
        String database() default "";

        @AttributeDefinition(name = "Retention policy", description = "v1: empty for the database's default.")
        String retentionPolicy() default "";

        @AttributeDefinition(name = "User name", description = "v1: empty when authentication is off.")
        String username() default "";

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD, description = "v1. Or use the password"
                + " file. Never logged.")
        String _password() default "";

        @AttributeDefinition(name = "Password file", description = "v1: a file whose first line is the password; wins"
                + " over the password field.")
        String passwordFile() default "";

        @AttributeDefinition(name = "Measurement")
        String measurement() default "powermonitor_500";

        @AttributeDefinition(name = "Area tag", description = "Tag every line with the asset's area.")
        boolean areaTag() default true;

        @AttributeDefinition(name = "Meter tag", description = "Tag every line with the meter id (besides the asset).")
        boolean meterTag() default false;

        @AttributeDefinition(name = "Timestamp precision", options = { @Option(value = "ms", label = "milliseconds"),
                @Option(value = "ns", label = "nanoseconds") })
        String precision() default "ms";

        @AttributeDefinition(name = "Gzip", description = "Compress write requests (gzip at the fastest level).")
        boolean gzip() default true;

        @AttributeDefinition(name = "Timeout (s)", description = "Connect, send and answer, each.")
        int timeoutSeconds() default 10;

        @AttributeDefinition(name = "CA certificate file", description = "PEM file of the CA(s) that sign the server's"
                + " certificate, for https URLs. Empty: the JVM's trust store.")
        String caFile() default "";

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "InfluxDB sink {sink.name} → {url}";
    }

    /** The encoder and transport of one configuration, swapped whole when it changes. */
    private record Writer(InfluxSettings settings, LineProtocol encoder, Transport transport) {
    }

    /** InfluxDB's words for a partial write refused by a field type conflict: the field and the new type. */
    private static final Pattern TYPE_CONFLICT = Pattern.compile("field type conflict: input field \"([^\"]+)\" on"
            + " measurement \"[^\"]*\" is type (\\w+), already exists as type \\w+");
    /** Conflicts answered one by one before the batch is left to the pipeline's isolation. */
    private static final int MAX_PARTIAL_ROUNDS = 8;

    private volatile Writer writer;
    // used by the pipeline's one delivery thread for this sink only
    private final StringBuilder body = new StringBuilder(1 << 16);

    @Activate
    public InfluxSinkComponent(Map<String, Object> properties) {
        configure(properties);
    }

    @Modified
    void configure(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        InfluxSettings settings;
        Transport transport;
        try {
            settings = settings(config);
            transport = settings.api() == InfluxSettings.Api.V2 ? new ClientTransport(settings)
                    : new V1Transport(settings);
        } catch (IllegalArgumentException e) {
            // which configuration: a gateway may have several of this sink
            IllegalArgumentException named = new IllegalArgumentException(ConfigValues.name(properties) + ": "
                    + e.getMessage(), e);
            LOG.error("{}", named.getMessage());
            throw named;
        }
        Writer old = writer;
        writer = new Writer(settings, new LineProtocol(settings.measurement(), settings.areaTag(), settings.meterTag(),
                settings.precision()), transport);
        if (old != null) {
            old.transport().close();
        }
        LOG.info("Started {}", settings);
    }

    @Deactivate
    public void deactivate() {
        writer.transport().close();
    }

    /**
     * Writes a batch. InfluxDB answers a field type conflict with a partial write: it stored every line but those
     * holding the conflicting field, and says which field and type. Those readings are refused for good (the pipeline
     * dead-letters exactly them); the other readings of the dropped lines are written again without them; the lines
     * the server stored are not sent again.
     */
    @Override
    public void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        Writer w = writer;
        boolean unescapes = w.transport().unescapesBackslashes();
        List<EnrichedReading> pending = batch;
        List<EnrichedReading> refused = new ArrayList<>();
        String reason = null;
        for (int round = 0; !pending.isEmpty(); round++) {
            body.setLength(0);
            int lines = w.encoder().encode(pending, body, unescapes);
            try {
                w.transport().write(body.toString(), lines);
                break;
            } catch (SinkException e) {
                Matcher conflict = e.isRetriable() || round == MAX_PARTIAL_ROUNDS ? null
                        : TYPE_CONFLICT.matcher(e.getMessage());
                if (conflict == null || !conflict.find()) {
                    throw e;
                }
                String field = conflict.group(1);
                String type = conflict.group(2);
                List<EnrichedReading> bad = pending.stream().filter(r -> LineProtocol.written(r)
                        && LineProtocol.fieldType(r).equals(type) && w.encoder().fieldName(r).equals(field)).toList();
                if (bad.isEmpty()) {
                    throw e; // a conflict this batch cannot have caused: let the pipeline isolate it
                }
                refused.addAll(bad);
                reason = e.getMessage();
                Set<Object> dropped = new HashSet<>();
                bad.forEach(r -> dropped.add(LineProtocol.lineOf(r)));
                Set<EnrichedReading> badSet = new HashSet<>(bad);
                pending = pending.stream().filter(r -> dropped.contains(LineProtocol.lineOf(r))
                        && !badSet.contains(r)).toList();
            }
        }
        if (!refused.isEmpty()) {
            throw SinkException.refused(reason + " (" + refused.size() + " readings refused; the other lines are"
                    + " written)", refused);
        }
    }

    static InfluxSettings settings(Config c) {
        String sink = Sink.checkName(c.sink_name() == null ? "" : c.sink_name().trim(), "influx: sink.name");
        InfluxSettings.Api api = InfluxSettings.api(c.api());
        byte[] secret = api == InfluxSettings.Api.V2 ? SettingFiles.secret("influx", "tokenFile", c._token(),
                c.tokenFile()) : SettingFiles.secret("influx", "passwordFile", c._password(), c.passwordFile());
        return new InfluxSettings(sink, api, InfluxSettings.url(c.url()), c.org().trim(), c.bucket().trim(),
                c.database().trim(), c.retentionPolicy().trim(), c.username().trim(), secret, c.measurement().trim(),
                c.areaTag(), c.meterTag(), InfluxSettings.precision(c.precision()), c.gzip(),
                Duration.ofSeconds(c.timeoutSeconds()), SettingFiles.optionalFile("influx", "caFile", c.caFile()));
    }
}
