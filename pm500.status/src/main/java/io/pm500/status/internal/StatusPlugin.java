package io.pm500.status.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The "PM500 status" page of the Web Console (same login, same roles) and its JSON API
 * ({@code /system/console/pm500/status.json}): every meter with its connection, counters, last error and newest
 * values with quality, every sink with its outbox, and the gateway; and the charts' recent past
 * ({@code history.json}, from {@link History}). The page asks for the status once a second and the history every
 * 5 s; both are made from in-memory snapshots, so looking never costs a meter a poll.
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + StatusPlugin.LABEL,
        ServletConstants.PLUGIN_TITLE + "=PM500 status",
        ServletConstants.PLUGIN_CATEGORY + "=PM500" })
public final class StatusPlugin extends AbstractServlet {
    static final String LABEL = "pm500";
    static final String JSON_PATH = "/status.json";
    static final String HISTORY_PATH = "/history.json";
    private static final long serialVersionUID = 1L;

    private final transient BundleContext context;
    @Reference
    private Snapshots snapshots;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceComponentRuntime scr;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile History history;

    @Activate
    public StatusPlugin(BundleContext context) {
        this.context = context;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String path = request.getPathInfo();
        if (path != null && path.endsWith(JSON_PATH)) {
            String[] asked = request.getParameterValues("values");
            Set<String> values = asked == null ? Set.of() : new HashSet<>(Arrays.asList(asked));
            json(response, StatusJson.build(context, snapshots, scr, values.contains("*") ? id -> true
                    : values::contains, Instant.now()));
            return;
        }
        History h = history;
        if (path != null && path.endsWith(HISTORY_PATH) && h != null) {
            json(response, h.json(request.getParameter("meter")));
            return;
        }
        super.doGet(request, response);
    }

    private void json(HttpServletResponse response, Object document) throws IOException {
        setNoCache(response);
        response.setContentType("application/json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        StatusJson.JSON.writeValue(response.getOutputStream(), document);
    }

    @Override
    public void renderContent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String root = (String) request.getAttribute(ServletConstants.ATTR_PLUGIN_ROOT);
        String base = root == null ? "" : root;
        response.getWriter().print(readTemplateFile("/io/pm500/status/internal/status.html")
                .replace("${statusUrl}", base + JSON_PATH).replace("${historyUrl}", base + HISTORY_PATH));
    }
}
