package io.pm500.sink.sparkplug.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The TCK table in {@code docs/sparkplug-b.md} names tests that exist: every {@code Class#method} ({@code #method}:
 * the class named before it in the cell; a trailing {@code …} abbreviates the name) is a method in that class's
 * source.
 */
class TckTableTest {
    private static final Pattern REFERENCE = Pattern.compile("`(\\w*)#(\\w+)(…?)`");
    private static final Map<String, Path> SOURCES = Map.of(
            "EdgeNodeTest", Path.of("src/test/java/io/pm500/sink/sparkplug/internal/EdgeNodeTest.java"),
            "MosquittoTest", Path.of("src/test/java/io/pm500/sink/sparkplug/internal/MosquittoTest.java"),
            "TahuHostTest", Path.of("src/test/java/io/pm500/sink/sparkplug/internal/TahuHostTest.java"),
            "GatewaySparkplugIT", Path.of("../pm500.runtime/src/test/java/io/pm500/runtime/GatewaySparkplugIT.java"));

    @Test
    void everyTestTheTckTableNamesExists() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "sparkplug-b.md"));
        String table = doc.substring(doc.indexOf("## TCK edge-node assertions"), doc.indexOf("## Not done"));
        int checked = 0;
        for (String row : table.split("\n")) {
            String[] cells = row.split(" \\| ");
            if (!row.startsWith("| `") || cells.length < 3) {
                continue;
            }
            String currentClass = null;
            Matcher m = REFERENCE.matcher(cells[cells.length - 1]);
            while (m.find()) {
                currentClass = m.group(1).isEmpty() ? currentClass : m.group(1); // `#method`: the class before
                assertThat(SOURCES).as("a test class the table names").containsKey(currentClass);
                String source = Files.readString(SOURCES.get(currentClass));
                String method = "void " + m.group(2) + (m.group(3).isEmpty() ? "(" : "");
                assertThat(source).as("%s#%s in the TCK table", currentClass, m.group(2)).contains(method);
                checked++;
            }
        }
        assertThat(checked).as("test references in the table").isGreaterThan(20);
    }
}
