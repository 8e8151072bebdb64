package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditLogTest {
    @Test
    void changesListOldAndNewValuesWithSecretsMaskedAndBookkeepingLeftOut() {
        Map<String, Object> before = Map.of("service.pid", "p", "url", "http://a", ".token", "t1", "port", 1,
                "felix.fileinstall.filename", "file:/x.cfg");
        Map<String, Object> after = Map.of("service.pid", "p", "url", "http://b", ".token", "t2", "port", 1,
                "clientPassword", "pw", "felix.fileinstall.filename", "file:/x.cfg");
        assertThat(AuditLog.changes(before, after)).containsExactly(
                Map.entry(".token", Arrays.asList("********", "********")),
                Map.entry("clientPassword", Arrays.asList(null, "********")),
                Map.entry("url", Arrays.asList("http://a", "http://b")));
    }
}
