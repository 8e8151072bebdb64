package io.pm500.profile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.InputStream;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The published JSON schema (for editors) and the loader agree on the built-in profile and on mistakes. */
class ProfileSchemaTest {
    private final ObjectMapper mapper = new ObjectMapper();

    private JsonSchema schema() throws Exception {
        try (InputStream in = DeviceProfiles.class.getResourceAsStream("pm500-profile.schema.json")) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private JsonNode builtIn() throws Exception {
        try (InputStream in = DeviceProfiles.class.getResourceAsStream("pm500.json")) {
            return mapper.readTree(in);
        }
    }

    @Test
    void builtInProfileValidatesAgainstTheSchema() throws Exception {
        Set<ValidationMessage> errors = schema().validate(builtIn());
        assertThat(errors).isEmpty();
    }

    @Test
    void schemaRejectsWhatTheLoaderRejects() throws Exception {
        JsonNode profile = builtIn();
        ((com.fasterxml.jackson.databind.node.ObjectNode) profile.at("/modbus/blocks/0")).put("functionCode", 6);
        ((com.fasterxml.jackson.databind.node.ObjectNode) profile.at("/cip/blocks/0/fields/0")).put("kind", "x");
        assertThat(schema().validate(profile)).extracting(ValidationMessage::getInstanceLocation)
                .map(Object::toString).contains("$.modbus.blocks[0].functionCode", "$.cip.blocks[0].fields[0]");
    }
}
