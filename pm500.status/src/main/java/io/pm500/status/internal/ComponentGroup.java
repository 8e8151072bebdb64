package io.pm500.status.internal;

/** How the start-up report groups bundles, by symbolic name. */
enum ComponentGroup {
    DRIVERS("drivers"), ENRICHMENT("enrichment"), SINKS("sinks"), GATEWAY("gateway"), PLATFORM("platform");

    private final String label;

    ComponentGroup(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    static ComponentGroup of(String symbolicName) {
        if (symbolicName == null) {
            return PLATFORM;
        }
        if (symbolicName.startsWith("pm500.driver.")) {
            return DRIVERS;
        }
        if (symbolicName.startsWith("pm500.enrich")) {
            return ENRICHMENT;
        }
        if (symbolicName.startsWith("pm500.sink.")) {
            return SINKS;
        }
        if (symbolicName.startsWith("pm500.")) {
            return GATEWAY;
        }
        return PLATFORM;
    }
}
