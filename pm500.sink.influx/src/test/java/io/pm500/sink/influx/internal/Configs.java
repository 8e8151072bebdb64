package io.pm500.sink.influx.internal;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** Component configurations as SCR builds them: the given properties over the metatype defaults. */
final class Configs {
    private Configs() {
    }

    static InfluxSinkComponent.Config of(Object... keyValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return (InfluxSinkComponent.Config) Proxy.newProxyInstance(Configs.class.getClassLoader(),
                new Class<?>[] { InfluxSinkComponent.Config.class }, (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
