package io.pm500.fleet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Version;

class RepositoryIndexTest {
    private static final URI AT = URI.create("https://updates.example.com/pm500/stable/index.xml");

    private static RepositoryIndex parse(String xml) throws IOException {
        return RepositoryIndex.parse(xml.getBytes(StandardCharsets.UTF_8), AT);
    }

    @Test
    void readsIdentityContentAndTypedAttributes() throws Exception {
        RepositoryIndex index = parse("""
                <?xml version='1.0' encoding='UTF-8'?>
                <repository xmlns="http://www.osgi.org/xmlns/repository/v1.0.0" name="pm500 7" increment="7">
                  <resource>
                    <capability namespace="osgi.identity">
                      <attribute name="osgi.identity" value="pm500.sink.sparkplug"/>
                      <attribute name="type" value="osgi.bundle"/>
                      <attribute name="version" value="0.2.0" type="Version"/>
                    </capability>
                    <capability namespace="osgi.content">
                      <attribute name="osgi.content" value="ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"/>
                      <attribute name="url" value="bundles/sparkplug.jar"/>
                      <attribute name="size" value="724734" type="Long"/>
                    </capability>
                    <capability namespace="test">
                      <attribute name="list" value="a\\,b,c" type="List&lt;String&gt;"/>
                      <attribute name="versions" value="1.0, 2.1" type="List&lt;Version&gt;"/>
                    </capability>
                    <requirement namespace="osgi.wiring.package">
                      <directive name="filter" value="(osgi.wiring.package=io.pm500.api.sink)"/>
                    </requirement>
                  </resource>
                </repository>
                """);

        assertThat(index.increment()).isEqualTo(7);
        assertThat(index.name()).isEqualTo("pm500 7");
        IndexResource r = index.resources().get(0);
        assertThat(r.identity()).isEqualTo("pm500.sink.sparkplug");
        assertThat(r.version()).isEqualTo(new Version(0, 2, 0));
        assertThat(r.type()).isEqualTo("osgi.bundle");
        assertThat(r.sha256()).isEqualTo("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
        assertThat(r.size()).isEqualTo(724734);
        assertThat(r.resolveUrl(index.location()))
                .isEqualTo(URI.create("https://updates.example.com/pm500/stable/bundles/sparkplug.jar"));
        assertThat(r.getCapabilities("test").get(0).getAttributes()).containsEntry("list", List.of("a,b", "c"))
                .containsEntry("versions", List.of(new Version(1, 0, 0), new Version(2, 1, 0)));
        assertThat(r.getRequirements(null)).singleElement().satisfies(q -> assertThat(q.getDirectives())
                .containsEntry("filter", "(osgi.wiring.package=io.pm500.api.sink)"));
    }

    @Test
    void anIndexWithoutAReleaseNumberIsRefusedWithTheFix() {
        assertThatThrownBy(() -> parse("<repository xmlns='http://www.osgi.org/xmlns/repository/v1.0.0'/>"))
                .isInstanceOf(IOException.class).hasMessageContaining("is not a release number");
    }

    @Test
    void aDoctypeIsRefusedSoTheParserFetchesNothing() {
        assertThatThrownBy(() -> parse("""
                <?xml version="1.0"?>
                <!DOCTYPE repository [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <repository increment="1">&x;</repository>
                """)).isInstanceOf(IOException.class).hasMessageContaining("is not a repository index");
    }
}
