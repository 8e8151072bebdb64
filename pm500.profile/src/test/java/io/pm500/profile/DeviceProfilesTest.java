package io.pm500.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Endianness;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.reading.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceProfilesTest {

    @Test
    void builtInPm500HasEveryAssemblyAndRegisterGroupOfTheManual() throws Exception {
        DeviceProfile pm500 = DeviceProfiles.resolve("pm500");

        assertThat(pm500.identity().vendorId()).isEqualTo(1);
        assertThat(pm500.identity().deviceType()).isEqualTo(0x92);
        assertThat(pm500.identity().productCodes()).containsEntry("1420-V2A-ENT", 9).hasSize(6);
        assertThat(pm500.cip().byteOrder()).isEqualTo(Endianness.LITTLE_ENDIAN);
        assertThat(pm500.cip().blocks()).extracting(CipBlock::instance)
                .containsExactly(100, 101, 102, 103, 104, 105, 106, 107, 108);
        assertThat(pm500.cip().blocks()).extracting(CipBlock::size)
                .containsExactly(20, 48, 72, 48, 68, 48, 68, 72, 4);
        assertThat(pm500.cipBlock("assembly.108")).hasValueSatisfying(b -> assertThat(b.assumed()).isFalse());
        assertThat(pm500.cipBlock("assembly.101")).hasValueSatisfying(b -> assertThat(b.assumed()).isTrue());
        assertThat(pm500.modbus().blocks()).extracting(ModbusBlock::id)
                .containsExactly("info", "energy", "settings", "status");
        assertThat(pm500.modbusBlock("energy").orElseThrow().fields()).extracting(Field::address)
                .containsExactly(301281, 301285, 301289, 301293, 301297, 301301, 301305, 301309, 301313);
        assertThat(pm500.points().get("energy.active.import.total").unit()).isEqualTo("Wh");
        assertThat(pm500.points().get("energy.reactive.import.total").unit()).isEqualTo("varh");
        assertThat(pm500.points().get("run.hours").unit()).isEqualTo("h");
        assertThat(pm500.points().get("current.n").phase()).isEqualTo(Phase.N);
        assertThat(pm500.points().get("alarms.virtual").bits()).containsExactly("AL1", "AL2", "AL3", "AL4");
        assertThat(pm500.assumptions()).isNotEmpty();
    }

    @Test
    void userProfileFileIsLoadedByPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sibling.json");
        Files.writeString(file, """
                {"profileVersion": 1, "model": "Sibling",
                 "points": {"v": {"unit": "V", "phase": "L1", "kind": "VOLTAGE"}},
                 "modbus": {"addressBase": 400001, "wordOrder": "LOW_FIRST",
                            "blocks": [{"id": "rt", "functionCode": 3,
                                        "fields": [{"point": "v", "address": 400011, "type": "REAL"}]}]}}
                """);
        DeviceProfile profile = DeviceProfiles.resolve(file.toString());
        assertThat(profile.model()).isEqualTo("Sibling");
        assertThat(profile.modbus().wireAddress(400011)).isEqualTo(10);
        assertThat(profile.modbus().maxRegistersPerRequest()).isEqualTo(125);
        assertThat(profile.cip().blocks()).isEmpty();
    }

    /** Issue 23: address 0 was taken for a missing one, so a map with addressBase 0 could not name register 0. */
    @Test
    void registerZeroCanBeMappedWithAddressBaseZeroAndAMissingAddressIsStillNamed() throws Exception {
        DeviceProfile profile = DeviceProfiles.parse("zero.json", """
                {"profileVersion": 1, "model": "Zero-based",
                 "points": {"v": {"unit": "V", "phase": "L1", "kind": "VOLTAGE"},
                            "i": {"unit": "A", "phase": "L1", "kind": "CURRENT"}},
                 "modbus": {"addressBase": 0,
                            "blocks": [{"id": "rt", "functionCode": 4,
                                        "fields": [{"point": "v", "address": 0, "type": "REAL"},
                                                   {"point": "i", "address": 2, "type": "REAL"}]}]}}
                """);
        assertThat(profile.modbusBlock("rt").orElseThrow().fields()).extracting(Field::address).containsExactly(0, 2);
        assertThat(profile.modbus().wireAddress(0)).isZero();
        io.pm500.profile.codec.ModbusDecoder decoder = new io.pm500.profile.codec.ModbusDecoder(profile.modbus(),
                profile.modbusBlock("rt").orElseThrow(), null);
        int v = Float.floatToIntBits(230.5f);
        int i = Float.floatToIntBits(1.5f);
        short[] registers = { (short) (v >>> 16), (short) v, (short) (i >>> 16), (short) i };
        assertThat(decoder.firstWireAddress()).isZero();
        assertThat(decoder.decode("m", java.time.Instant.EPOCH, 0, registers, 4).points())
                .extracting(p -> p.value()).containsExactly(io.pm500.api.sample.Value.of(230.5),
                        io.pm500.api.sample.Value.of(1.5));
        assertThatThrownBy(() -> DeviceProfiles.parse("missing.json", """
                {"profileVersion": 1, "model": "No address",
                 "points": {"v": {"unit": "V", "phase": "L1", "kind": "VOLTAGE"}},
                 "modbus": {"addressBase": 0,
                            "blocks": [{"id": "rt", "functionCode": 4, "fields": [{"point": "v", "type": "REAL"}]}]}}
                """)).isInstanceOf(ProfileException.class)
                .hasMessageContaining("modbus.blocks[0].fields[0].address: a Modbus field needs its documented address");
    }

    @Test
    void unknownProfileNameSaysWhatIsAccepted() {
        assertThatThrownBy(() -> DeviceProfiles.resolve("/nope/pm5000.json")).isInstanceOf(ProfileException.class)
                .hasMessageContaining("'/nope/pm5000.json'").hasMessageContaining("built-in profile (pm500)");
    }

    @Test
    void syntaxErrorNamesLineAndColumn() {
        assertThatThrownBy(() -> DeviceProfiles.parse("bad.json", "{\n  \"profileVersion\": 1,\n  \"model\": \n}"))
                .isInstanceOf(ProfileException.class).hasMessageStartingWith("bad.json: line 4, column 1");
    }

    @Test
    void misspelledFieldNamesLinePathAndKnownNames() {
        String json = """
                {"profileVersion": 1, "model": "X",
                 "points": {"v": {"unit": "V", "phase": "L1", "kind": "VOLTAGE"}},
                 "modbus": {"blocks": [{"id": "rt", "functionCode": 3,
                   "fields": [{"point": "v", "adress": 300011, "type": "REAL"}]}]}}
                """;
        assertThatThrownBy(() -> DeviceProfiles.parse("typo.json", json)).isInstanceOf(ProfileException.class)
                .hasMessageContaining("typo.json: 1 problem\n  line 4")
                .hasMessageContaining("modbus.blocks[0].fields[0].adress")
                .hasMessageContaining("unknown field 'adress'").hasMessageContaining("known here: [point, address");
    }

    @Test
    void badEnumValueNamesTheField() {
        String json = """
                {"profileVersion": 1, "model": "X",
                 "points": {"v": {"unit": "V", "phase": "L4", "kind": "VOLTAGE"}}}
                """;
        assertThatThrownBy(() -> DeviceProfiles.parse("enum.json", json)).isInstanceOf(ProfileException.class)
                .hasMessageContaining("line 2").hasMessageContaining("points.v.phase").hasMessageContaining("L4");
    }

    /** Issue 19: a type or enum error stopped the loader and hid the file's other problems. */
    @Test
    void everyTypeEnumAndFieldNameProblemIsListedWithItsLine() {
        String json = """
                {"profileVersion": 1, "model": "X",
                 "points": {"v": {"unit": "V", "phase": "L4", "kind": "VOLTAGE"},
                            "i": {"unit": "A", "phase": "L1", "kind": "CURENT"}},
                 "modbus": {"addressBase": "three", "blocks": [{"id": "rt", "functionCode": 3,
                   "fields": [{"point": "v", "adress": 300011, "type": "REAL"},
                              {"point": "i", "address": 300013, "type": "REEL"}]}]}}
                """;
        assertThatThrownBy(() -> DeviceProfiles.parse("many.json", json)).isInstanceOf(ProfileException.class)
                .hasMessageStartingWith("many.json: 5 problems")
                .hasMessageContaining("line 2, column 41: points.v.phase: 'L4' is not one of [L1, L2, L3, N")
                .hasMessageContaining("line 3, column 55: points.i.kind: 'CURENT' is not one of [VOLTAGE, CURRENT")
                .hasMessageContaining("line 4, column 28: modbus.addressBase: 'three' is not a whole number")
                .hasMessageContaining("line 5: ")
                .hasMessageContaining("modbus.blocks[0].fields[0].adress: unknown field 'adress'")
                .hasMessageContaining("line 6, column 57: modbus.blocks[0].fields[1].type: 'REEL' is not one of [INT");
    }

    @Test
    void ruleViolationsAreAllListedWithLineAndField() {
        String json = """
                {"profileVersion": 1, "model": "X",
                 "points": {"v": {"unit": "V", "phase": "L1", "kind": "VOLTAGE"},
                            "i": {"unit": "A", "phase": "L1", "kind": "CURRENT"}},
                 "cip": {"blocks": [
                   {"id": "a", "classId": 4, "instance": 101, "attribute": 3, "size": 12,
                    "fields": [{"point": "v", "type": "REAL"}, {"point": "w", "type": "REAL"}]}]},
                 "modbus": {"addressBase": 300001, "blocks": [
                   {"id": "m", "functionCode": 5,
                    "fields": [{"point": "v", "address": 300010, "type": "REAL"},
                               {"point": "i", "address": 300011, "type": "REAL"},
                               {"point": "v", "address": 200000, "type": "STRING"}]}]}}
                """;
        assertThatThrownBy(() -> DeviceProfiles.parse("rules.json", json)).isInstanceOf(ProfileException.class)
                .hasMessageContaining("line 6: cip.blocks[0].fields[1].point: 'w' is not defined under points")
                .hasMessageContaining("line 5: cip.blocks[0].size: is 12 bytes but the fields take 8")
                .hasMessageContaining("line 8: modbus.blocks[0].functionCode: is 5")
                .hasMessageContaining("modbus.blocks[0].fields[1].address: register 300011 is already read for point 'v'")
                .hasMessageContaining("modbus.blocks[0].fields[2].point: 'v' is already read")
                .hasMessageContaining("line 11: modbus.blocks[0].fields[2].words: a STRING needs its length")
                .hasMessageContaining("modbus.blocks[0].fields[2].address: 200000 is outside");
    }

    @Test
    void wrongFormatVersionIsRefused() {
        assertThatThrownBy(() -> DeviceProfiles.parse("v2.json",
                "{\"profileVersion\": 2, \"model\": \"X\", \"points\": {\"v\": {\"kind\": \"VOLTAGE\"}}}"))
                .hasMessageContaining("line 1: profileVersion: is 2; this gateway reads version 1");
    }
}
