package io.pm500.runtime.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.Set;
import org.apache.felix.webconsole.spi.SecurityProvider;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Web Console's only way in. The runtime requires this provider
 * ({@code felix.webconsole.security.providers=pm500}), so the console is not served without it and its built-in admin/admin login never applies. It has no configuration
 * of its own (see {@link ConsoleLogin}) so that its service is never modified.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE,
        property = SecurityProvider.PROPERTY_ID + "=" + ConsoleSecurity.PROVIDER_ID)
public final class ConsoleSecurity implements SecurityProvider {
    static final String PROVIDER_ID = "pm500";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSecurity.class);
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final ConsoleLogin login;
    private final LoginThrottle throttle = new LoginThrottle(System::nanoTime);

    @Activate
    public ConsoleSecurity(@Reference ConsoleLogin login) {
        this.login = login;
    }

    @Override
    public Object authenticate(HttpServletRequest request, HttpServletResponse response) {
        if (!SAFE_METHODS.contains(request.getMethod()) && isCrossOrigin(request)) {
            // The Web Console has no CSRF protection of its own: refuse state changes sent by other sites' pages.
            LOG.warn("Web Console: refused cross-origin {} {} from {}", request.getMethod(), request.getRequestURI(),
                    request.getRemoteAddr());
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            return null;
        }
        String address = request.getRemoteAddr();
        String header = request.getHeader("Authorization");
        if (header != null && !throttle.allowed(address)) {
            LOG.warn("Web Console: refused login from {}: {} failed logins within a minute", address,
                    LoginThrottle.MAX_FAILURES);
            response.setHeader("Retry-After", "60");
            response.setStatus(429);
            return null;
        }
        String user = login.authenticate(header);
        if (user != null) {
            throttle.succeeded(address);
            return user;
        }
        if (header != null) {
            throttle.failed(address);
            LOG.warn("Web Console: failed login from {}", address);
        }
        response.setHeader("WWW-Authenticate", "Basic realm=\"PM500 Gateway\", charset=\"UTF-8\"");
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        return null;
    }

    private static boolean isCrossOrigin(HttpServletRequest request) {
        String source = request.getHeader("Origin");
        if (source == null || source.equals("null")) {
            source = request.getHeader("Referer");
        }
        if (source == null) {
            return false; // not a browser (curl, scripts): nothing to forge
        }
        String host = request.getHeader("Host");
        try {
            URI uri = URI.create(source);
            String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host == null || !host.equalsIgnoreCase(authority);
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    @Override
    public boolean authorize(Object user, String role) {
        return true; // one administrator; the console has no finer roles to grant
    }

    @Override
    public void logout(HttpServletRequest request, HttpServletResponse response) {
        // Basic authentication keeps no server-side session; the console clears the browser's credentials itself.
    }
}
