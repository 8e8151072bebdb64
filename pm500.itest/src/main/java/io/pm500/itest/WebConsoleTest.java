package io.pm500.itest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.testkit.Await;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/** The Web Console answers only to the configured password, kept as a hash; admin/admin never works. */
@ExtendWith(FailureReport.class)
class WebConsoleTest {
    private static final String PASSWORD = "itest-Console-pw-1";

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    private URI console;

    @BeforeEach
    void setUp() throws Exception {
        console = GatewayHttp.console(context, configAdmin);
        setPassword(PASSWORD);
    }

    @Test
    void demandsTheConfiguredPassword() throws Exception {
        URI bundles = URI.create(console + "/bundles");
        var anonymous = GatewayHttp.get(bundles, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                h -> assertThat(h).startsWith("Basic realm="));
        assertThat(GatewayHttp.get(bundles, "admin:admin").statusCode()).isEqualTo(401);
        assertThat(GatewayHttp.get(bundles, "admin:" + PASSWORD + " ").statusCode()).isEqualTo(401);
        assertThat(GatewayHttp.get(bundles, "root:" + PASSWORD).statusCode()).isEqualTo(401);

        var ok = GatewayHttp.get(bundles, "admin:" + PASSWORD);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("pm500.runtime");
        assertThat(GatewayHttp.get(URI.create(console + "/components"), "admin:" + PASSWORD).statusCode())
                .as("DS plugin page").isEqualTo(200);
        assertThat(GatewayHttp.get(URI.create(console + "/configMgr"), "admin:" + PASSWORD).statusCode())
                .as("configuration page").isEqualTo(200);
    }

    @Test
    void keepsOnlyAHashAndScrubsTheClearTextFromConfigAdmin() throws Exception {
        Path credentials = Path.of(context.getProperty("pm500.data.dir"), "console", "credentials");
        assertThat(Files.readString(credentials)).contains("pbkdf2-sha256$").doesNotContain(PASSWORD);
        Dictionary<String, Object> properties = configAdmin.getConfiguration("pm500.console", "?").getProperties();
        assertThat(properties == null ? null : properties.get(".password")).isNull();
        ServiceReference<?>[] providers = context.getAllServiceReferences(
                "org.apache.felix.webconsole.spi.SecurityProvider", "(webconsole.security.provider.id=pm500)");
        assertThat(providers).hasSize(1);
        assertThat(providers[0].getPropertyKeys()).doesNotContain(".password", "password");
    }

    @Test
    void refusesATooShortPasswordAndKeepsTheCurrentOne() throws Exception {
        update("short");
        awaitScrubbed();
        URI bundles = URI.create(console + "/bundles");
        assertThat(GatewayHttp.get(bundles, "admin:short").statusCode()).isEqualTo(401);
        assertThat(GatewayHttp.get(bundles, "admin:" + PASSWORD).statusCode()).isEqualTo(200);
    }

    @Test
    void refusesCrossSitePostsButNotSameOriginOnes() throws Exception {
        URI bundles = URI.create(console + "/bundles");
        var forged = GatewayHttp.send(HttpRequest.newBuilder(bundles).header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("action=refreshPackages")), "admin:" + PASSWORD);
        assertThat(forged.statusCode()).isEqualTo(403);

        String origin = "http://" + bundles.getHost() + ":" + bundles.getPort();
        var sameOrigin = GatewayHttp.send(HttpRequest.newBuilder(URI.create(console + "/vmstat"))
                .header("Origin", origin).POST(HttpRequest.BodyPublishers.ofString("action=gc")), "admin:" + PASSWORD);
        assertThat(sameOrigin.statusCode()).isNotIn(401, 403);
    }

    /** Issue 19: a bad user name took the login component, and with it the console, offline. */
    @Test
    void aBadUserNameChangesNothingAndLocksNobodyOut() throws Exception {
        Configuration configuration = configAdmin.getConfiguration("pm500.console", "?");
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("username", "bad:name");
        configuration.update(properties);
        URI bundles = URI.create(console + "/bundles");
        // the update reaches the component asynchronously: the old name must work before and after it
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(GatewayHttp.get(bundles, "admin:" + PASSWORD).statusCode()).isEqualTo(200);
        }
        assertThat(GatewayHttp.get(bundles, "bad:name:" + PASSWORD).statusCode()).isEqualTo(401);
        properties.put("username", "admin");
        configuration.update(properties);
    }

    private void setPassword(String password) throws Exception {
        update(password);
        awaitScrubbed();
        URI bundles = URI.create(console + "/bundles");
        Await.until(Duration.ofSeconds(30), () -> "console does not accept the new password",
                () -> GatewayHttp.get(bundles, "admin:" + password).statusCode() == 200);
    }

    /** The login component hashes the password, then removes it from the configuration. */
    private void awaitScrubbed() throws Exception {
        Await.until(Duration.ofSeconds(30), () -> "clear-text password still in configuration",
                () -> configAdmin.getConfiguration("pm500.console", "?").getProperties().get(".password") == null);
    }

    private void update(String password) throws Exception {
        Configuration configuration = configAdmin.getConfiguration("pm500.console", "?");
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("username", "admin");
        properties.put(".password", password);
        configuration.update(properties);
    }
}
