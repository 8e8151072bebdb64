package io.pm500.sink.aws.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.sink.Sink;
import io.pm500.api.sink.SinkException;
import io.pm500.kit.config.ConfigValues;
import io.pm500.kit.config.SettingFiles;
import io.pm500.kit.tls.PemTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes enriched readings to AWS IoT Core as JSON ({@code docs/aws-iot-payload.md}), one factory configuration
 * per thing. The pipeline's outbox is the buffer: {@link #deliver} returns only when every message is PUBACKed.
 */
@Component(configurationPid = AwsIotSinkComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Sink.class, immediate = true)
@Designate(ocd = AwsIotSinkComponent.Config.class, factory = true)
public final class AwsIotSinkComponent implements Sink {
    static final String PID = "pm500.sink.aws";
    private static final Logger LOG = LoggerFactory.getLogger(AwsIotSinkComponent.class);

    @ObjectClassDefinition(name = "PM500 AWS IoT Core sink", description = "Publishes readings as JSON to AWS IoT"
            + " Core over MQTT 5 with the thing's certificate (QoS 1; delivered once PUBACKed).")
    public @interface Config {
        @AttributeDefinition(name = "Sink name", description = "Keys this sink's outbox and route; keep it stable.")
        String sink_name() default "aws";

        @AttributeDefinition(name = "Endpoint", description = "The account's device data endpoint: aws iot"
                + " describe-endpoint --endpoint-type iot:Data-ATS")
        String endpoint();

        @AttributeDefinition(name = "Port", description = "8883, or 443 where only HTTPS leaves the plant (the"
                + " client then asks for MQTT by ALPN).")
        int port() default 8883;

        @AttributeDefinition(name = "Thing name", description = "The MQTT client id; the policy may check it.")
        String thingName();

        @AttributeDefinition(name = "Certificate file", description = "The thing's device certificate, PEM.")
        String certFile();

        @AttributeDefinition(name = "Private key file", description = "The certificate's private key, PEM.")
        String keyFile();

        @AttributeDefinition(name = "CA file", description = "Amazon Root CA 1 (PEM). Empty: the system's trust"
                + " store.")
        String caFile() default "";

        @AttributeDefinition(name = "Topic template", description = "Placeholders {site}, {area}, {asset},"
                + " {meterId}, {thingName}; each becomes one topic level.")
        String topicTemplate() default "pm500/{site}/{area}/{asset}/telemetry";

        @AttributeDefinition(name = "Batch messages", description = "Several samples of one asset per message (a"
                + " JSON array), up to the message size below.")
        boolean batchMessages() default false;

        @AttributeDefinition(name = "Max message size (bytes)", description = "For batches; AWS IoT Core takes"
                + " 131072.")
        int maxMessageBytes() default AwsSettings.AWS_MAX_MESSAGE_BYTES;

        @AttributeDefinition(name = "Timeout (s)", description = "Connect and PUBACK timeout.")
        int timeoutSeconds() default 30;

        /** How the Web Console lists this factory's configurations, instead of their pids. */
        @AttributeDefinition(name = "Name in the console", description = "How the Web Console lists this"
                + " configuration; {key} stands for a setting's value.")
        String webconsole_configurationFactory_nameHint() default "AWS IoT sink {sink.name}: thing {thingName}";
    }

    /** The settings and the session of one configuration, swapped whole when it changes. */
    private record Session(AwsSettings settings, Telemetry telemetry, IotClient client) {
    }

    private final BundleContext context;
    private final CrtRuntime crt;
    private volatile Session session;
    /** The pipeline's "retry now", called on every connection the client makes. */
    private volatile Runnable ready = () -> { };

    @Activate
    public AwsIotSinkComponent(Map<String, Object> properties, BundleContext context, @Reference CrtRuntime crt) {
        this.context = context;
        this.crt = crt;
        configure(properties);
    }

    @Modified
    void configure(Map<String, Object> properties) {
        Config config = ConfigValues.read(properties, Config.class, LOG);
        AwsSettings settings;
        try {
            settings = settings(config);
            // unreadable files or a key that does not fit the certificate: refused now, not at every reconnect
            PemTls.context("aws", settings.caFile(), settings.certFile(), settings.keyFile());
            nativeLibraryDirectory();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            // which configuration: a gateway may have several of this sink
            IllegalArgumentException named = new IllegalArgumentException(ConfigValues.name(properties) + ": "
                    + e.getMessage(), e);
            LOG.error("{}", named.getMessage());
            throw named;
        }
        PemTls.validityProblem("aws", "certFile", settings.certFile(), Instant.now())
                .ifPresent(problem -> LOG.warn("{}", problem));
        Session old = session;
        if (old != null) {
            old.client().close();
        }
        session = new Session(settings, new Telemetry(settings), new IotClient(settings, crt, () -> ready.run()));
        LOG.info("Started {}", settings);
    }

    @Deactivate
    void deactivate() {
        session.client().close();
    }

    @Override
    public void onReady(Runnable r) {
        ready = r;
    }

    @Override
    public void deliver(List<EnrichedReading> batch, boolean historical) throws SinkException {
        Session s = session;
        List<Telemetry.Message> messages = s.telemetry().messages(batch);
        s.client().publish(messages);
        s.telemetry().published(messages);
    }

    /**
     * The runtime's JNI library is copied out of the bundle before it is loaded: into {@code data/aws-crt} rather
     * than the temp directory, which plants often mount noexec. JVM-wide, read once when the runtime first loads.
     */
    private void nativeLibraryDirectory() {
        if (System.getProperty("aws.crt.lib.dir") != null) {
            return;
        }
        String data = context.getProperty("pm500.data.dir");
        Path dir = Path.of(data == null ? "data" : data, "aws-crt").toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("aws: cannot create " + dir + " for the AWS runtime's native library", e);
        }
        System.setProperty("aws.crt.lib.dir", dir.toString());
    }

    static AwsSettings settings(Config c) {
        String sink = Sink.checkName(c.sink_name() == null ? "" : c.sink_name().trim(), "aws: sink.name");
        List<String> problems = new ArrayList<>();
        Path cert = file("certFile", c.certFile(), problems);
        Path key = file("keyFile", c.keyFile(), problems);
        Path ca = file("caFile", c.caFile(), problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new AwsSettings(sink, trim(c.endpoint()), c.port(), trim(c.thingName()), cert, key, ca,
                trim(c.topicTemplate()), c.batchMessages(), c.maxMessageBytes(), c.timeoutSeconds());
    }

    /** Every unreadable file is named at once, not one per attempt. */
    private static Path file(String setting, String value, List<String> problems) {
        try {
            return SettingFiles.optionalFile("aws", setting, value);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }
}
