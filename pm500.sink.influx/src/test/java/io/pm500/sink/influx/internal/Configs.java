package io.pm500.sink.influx.internal;

import java.util.HashMap;
import java.util.Map;
import org.osgi.util.converter.Converters;

/** Component configurations as SCR builds them: the given properties over the metatype defaults. */
final class Configs {
    private Configs() {
    }

    static InfluxSinkComponent.Config of(Object... keyValues) {
        return Converters.standardConverter().convert(properties(keyValues)).to(InfluxSinkComponent.Config.class);
    }

    /** The properties SCR would pass to the component. */
    static Map<String, Object> properties(Object... keyValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return values;
    }
}
