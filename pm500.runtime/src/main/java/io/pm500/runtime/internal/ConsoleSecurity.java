package io.pm500.runtime.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import org.apache.felix.webconsole.spi.SecurityProvider;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Web Console's only way in. The runtime requires this provider
 * ({@code felix.webconsole.security.providers=pm500}), so the console is not served without it and its built-in
 * admin/admin login never applies. It has no configuration of its own (see {@link ConsoleLogin}) so that its service
 * is never modified.
 *
 * <p>The console has no CSRF protection of its own, so a state-changing request must say where it comes from: an
 * {@code Origin} (or, without one, a {@code Referer}) of this very host; {@code Origin: null} (sandboxed frames,
 * {@code file:} pages) and requests that name no origin are refused. A viewer may only read. Bundle "update" from the
 * bundle's own location is refused (our bundles come from the executable jar or {@code deploy/}, neither of which
 * it can read); console Restart exits the JVM with status {@link #RESTART_STATUS} after writing
 * {@code <data>/restart-requested}, on which the {@code pm500-gateway} launcher starts the gateway again.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE,
        property = SecurityProvider.PROPERTY_ID + "=" + ConsoleSecurity.PROVIDER_ID)
public final class ConsoleSecurity implements SecurityProvider {
    static final String PROVIDER_ID = "pm500";
    /** What the bnd launcher exits with when the framework stops (bnd's {@code LauncherConstants.STOPPED}). */
    static final int RESTART_STATUS = 117;
    static final String RESTART_MARKER = "restart-requested";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSecurity.class);
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final ConsoleLogin login;
    private final AuditLog audit;
    private final Path restartMarker;
    private final LoginThrottle throttle = new LoginThrottle(System::nanoTime);

    @Activate
    public ConsoleSecurity(BundleContext context, @Reference ConsoleLogin login, @Reference AuditLog audit) {
        this.login = login;
        this.audit = audit;
        this.restartMarker = Layout.of(context).data().resolve(RESTART_MARKER);
    }

    @Override
    public Object authenticate(HttpServletRequest request, HttpServletResponse response) {
        boolean changes = !SAFE_METHODS.contains(request.getMethod());
        String address = request.getRemoteAddr();
        if (changes) {
            String refusal = originProblem(request);
            if (refusal != null) {
                LOG.warn("Web Console: refused {} {} from {}{}: {}", request.getMethod(), request.getRequestURI(),
                        address, request.getHeader("Authorization") == null ? "" : " with the console's credentials",
                        refusal);
                return refuse(response, HttpServletResponse.SC_FORBIDDEN, "Refused: " + refusal + ".");
            }
        }
        if (!login.open()) {
            return refuse(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "No Web Console password is set on"
                    + " this gateway. On its machine run: sudo pm500 set-password");
        }
        String header = request.getHeader("Authorization");
        if (header != null && !throttle.allowed(address)) {
            LOG.warn("Web Console: refused login from {}: {} failed logins within a minute", address,
                    LoginThrottle.MAX_FAILURES);
            response.setHeader("Retry-After", "60");
            response.setStatus(429);
            return null;
        }
        boolean known = login.isKnown(header);
        ConsoleLogin.User user = login.authenticate(header);
        if (user == null) {
            if (header != null) {
                throttle.failed(address);
                LOG.warn("Web Console: failed login from {}", address);
                audit.record(attemptedName(header), address, "login.failed", "console", null);
            }
            response.setHeader("WWW-Authenticate", "Basic realm=\"PM500 Gateway\", charset=\"UTF-8\"");
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            return null;
        }
        throttle.succeeded(address);
        if (!known) {
            audit.record(user.name(), address, "login", "console", null);
        }
        if (changes) {
            return change(request, response, user, address);
        }
        return user.name();
    }

    private Object change(HttpServletRequest request, HttpServletResponse response, ConsoleLogin.User user,
            String address) {
        String path = request.getRequestURI();
        if (!user.admin()) {
            LOG.warn("Web Console: refused {} {} by viewer '{}' from {}", request.getMethod(), path, user.name(),
                    address);
            audit.record(user.name(), address, "refused.read-only", path, null);
            return refuse(response, HttpServletResponse.SC_FORBIDDEN, "Refused: '" + user.name() + "' is a"
                    + " read-only viewer account.");
        }
        // form posts only: reading a multipart upload's parameters here would consume the upload
        String action = isForm(request) ? request.getParameter("action") : null;
        if ("update".equals(action) && path.contains("/bundles/")) {
            LOG.warn("Web Console: refused bundle update of {} by '{}': a bundle is updated by dropping its new jar"
                    + " into deploy/ (or Install/Update with a file)", path, user.name());
            audit.record(user.name(), address, "refused.bundle.update", path, null);
            return refuse(response, HttpServletResponse.SC_BAD_REQUEST, "Refused: 'Update' from a bundle's location"
                    + " is not supported here. Drop the new jar into the gateway's deploy/ folder, or use 'Install/"
                    + "Update...' with the file.");
        }
        audit.consoleRequest(user.name(), address);
        if (("restart".equals(action) || "shutdown".equals(action)) && path.endsWith("/vmstat")) {
            audit.record(user.name(), address, "gateway." + action, "gateway", null);
            if ("restart".equals(action)) {
                requestRestart(user.name());
            } else {
                LOG.warn("Shutdown requested in the Web Console by '{}' from {}", user.name(), address);
            }
        }
        return user.name();
    }

    private void requestRestart(String user) {
        try {
            Files.writeString(restartMarker, user + "\n", StandardCharsets.UTF_8);
            LOG.warn("Restart requested in the Web Console by '{}': the gateway stops and exits with status {};"
                    + " the pm500-gateway launcher (and the service unit that runs it) starts it again", user,
                    RESTART_STATUS);
        } catch (IOException e) {
            LOG.error("Restart requested by '{}', but {} cannot be written ({}): the gateway will stop and not start"
                    + " again by itself", user, restartMarker, e.toString());
        }
    }

    private static boolean isForm(HttpServletRequest request) {
        String type = request.getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    private static Object refuse(HttpServletResponse response, int status, String message) {
        try {
            response.setStatus(status);
            response.setContentType("text/plain;charset=UTF-8");
            response.getWriter().println(message);
        } catch (IOException e) {
            // the client is gone; the refusal stands
        }
        return null;
    }

    /** Why a state-changing request may have been sent by another site's page, or null when it is this host's. */
    static String originProblem(HttpServletRequest request) {
        String origin = request.getHeader("Origin");
        String source = origin;
        if (origin == null) {
            source = request.getHeader("Referer");
            if (source == null) {
                return "no Origin or Referer header (scripts: send 'Origin: <scheme>://<this host>')";
            }
        }
        if (source.equals("null")) {
            return "Origin 'null' (a sandboxed frame or a file: page)";
        }
        String host = request.getHeader("Host");
        try {
            URI uri = URI.create(source);
            String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host != null && host.equalsIgnoreCase(authority) ? null
                    : "cross-origin (" + (origin == null ? "Referer " : "Origin ") + source + ")";
        } catch (IllegalArgumentException e) {
            return "unreadable origin '" + source + "'";
        }
    }

    private static String attemptedName(String header) {
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(header.indexOf(' ') + 1).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? "" : decoded.substring(0, Math.min(colon, 64));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return "";
        }
    }

    @Override
    public boolean authorize(Object user, String role) {
        return true; // roles are enforced per request in authenticate: a viewer's changes are refused there
    }

    @Override
    public void logout(HttpServletRequest request, HttpServletResponse response) {
        // Basic authentication keeps no server-side session; the console clears the browser's credentials itself.
    }
}
