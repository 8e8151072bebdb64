package io.pm500.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.stream.Stream;
import org.apache.felix.cm.file.FilePersistenceManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19: a token typed into the console was stored in clear text, readable by every user of the machine. */
class SealedStoreTest {
    @TempDir
    Path data;

    private static Dictionary<String, Object> config(String pid, Object... kv) {
        Dictionary<String, Object> d = new Hashtable<>();
        d.put("service.pid", pid);
        for (int i = 0; i < kv.length; i += 2) {
            d.put((String) kv[i], kv[i + 1]);
        }
        return d;
    }

    private String files() throws Exception {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> s = Files.walk(data.resolve("config"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                all.append(Files.readString(p));
            }
        }
        return all.toString();
    }

    @Test
    void privatePropertiesAreSealedOnDiskAndOpenForConfigAdmin() throws Exception {
        FilePersistenceManager files = new FilePersistenceManager(null, data.resolve("config").toString());
        SealedStore store = new SealedStore(files, data.resolve("secrets.key"));
        store.store("pm500.sink.influx~h", config("pm500.sink.influx~h", ".token", "s3cret-token", "url", "http://x",
                "port", 8086));

        assertThat(files()).doesNotContain("s3cret-token").contains("pm500-sealed:v1:").contains("http://x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("secrets.key"))))
                .isEqualTo("rw-------");
        Dictionary<?, ?> loaded = store.load("pm500.sink.influx~h");
        assertThat(loaded.get(".token")).isEqualTo("s3cret-token");
        assertThat(loaded.get("port")).isEqualTo(8086);
        assertThat(Collections.list(store.getDictionaries())).singleElement()
                .satisfies(d -> assertThat(((Dictionary<?, ?>) d).get(".token")).isEqualTo("s3cret-token"));
        assertThat(new SealedStore(files, data.resolve("secrets.key")).load("pm500.sink.influx~h").get(".token"))
                .as("the same key after a restart").isEqualTo("s3cret-token");
    }

    @Test
    void clearSecretsOfAnOlderStoreAreSealedAtStartAndAForeignKeyLosesOnlyTheSecret() throws Exception {
        FilePersistenceManager files = new FilePersistenceManager(null, data.resolve("config").toString());
        files.store("pm500.console", config("pm500.console", ".password", "clear-text-pw", "username", "admin"));
        SealedStore store = new SealedStore(files, data.resolve("secrets.key"));
        assertThat(store.sealClearSecrets()).containsExactly("pm500.console");
        assertThat(files()).doesNotContain("clear-text-pw");
        assertThat(store.sealClearSecrets()).isEmpty();

        SealedStore other = new SealedStore(files, data.resolve("other.key"));
        Dictionary<?, ?> loaded = other.load("pm500.console");
        assertThat(loaded.get(".password")).as("cannot be decrypted: left out").isNull();
        assertThat(loaded.get("username")).isEqualTo("admin");
    }
}
