package io.pm500.profile;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipIo;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.FieldType;
import io.pm500.api.profile.ModbusBlock;
import io.pm500.api.profile.ModbusSection;
import io.pm500.api.profile.PointKind;
import io.pm500.api.profile.Transform;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The rules a bound profile must also keep, checked once it binds; every violation named with its path. */
final class ProfileRules {
    record Violation(List<Object> path, String message) {
    }

    private final DeviceProfile p;
    private final List<Violation> violations = new ArrayList<>();

    ProfileRules(DeviceProfile profile) {
        this.p = profile;
    }

    List<Violation> check() {
        if (p.profileVersion() != DeviceProfiles.FORMAT_VERSION) {
            fail(List.of("profileVersion"), "is " + p.profileVersion() + "; this gateway reads version "
                    + DeviceProfiles.FORMAT_VERSION);
        }
        if (p.model() == null || p.model().isBlank()) {
            fail(List.of("model"), "is missing: name the meter model");
        }
        if (p.points().isEmpty()) {
            fail(List.of("points"), "is empty: a profile defines at least one point");
        }
        p.points().forEach((id, point) -> {
            if (point.kind() == null) {
                fail(List.of("points", id, "kind"), "is missing: say what the point measures");
            }
            if (!point.bits().isEmpty() && point.kind() != PointKind.STATUS_BITS) {
                fail(List.of("points", id, "bits"), "only a STATUS_BITS point names bits");
            }
        });
        checkCip();
        checkModbus();
        return violations;
    }

    private void checkCip() {
        Set<String> ids = new HashSet<>();
        Set<String> pointsRead = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        List<CipBlock> blocks = p.cip().blocks();
        for (int b = 0; b < blocks.size(); b++) {
            CipBlock block = blocks.get(b);
            List<Object> at = List.of("cip", "blocks", b);
            blockId(block.id(), ids, at);
            range(at, "classId", block.classId(), 1, 0xFFFF);
            range(at, "instance", block.instance(), 1, 0xFFFF);
            range(at, "attribute", block.attribute(), 1, 0xFF);
            if (!addresses.add(block.classId() + "/" + block.instance() + "/" + block.attribute())) {
                fail(at, "reads class " + block.classId() + " instance " + block.instance() + " attribute "
                        + block.attribute() + " like an earlier block: merge them");
            }
            int words = fields(block.fields(), at, pointsRead, false);
            if (block.size() != words * 2) {
                fail(append(at, "size"), "is " + block.size() + " bytes but the fields take " + words * 2
                        + ": fix the size or the fields");
            }
        }
        CipIo io = p.cip().io();
        if (io != null) {
            List<Object> at = List.of("cip", "io");
            range(at, "configurationInstance", io.configurationInstance(), 1, 0xFFFF);
            range(at, "inputOnlyPoint", io.inputOnlyPoint(), 1, 0xFFFF);
            range(at, "listenOnlyPoint", io.listenOnlyPoint(), 1, 0xFFFF);
            if (io.minRpiMillis() < 1 || io.maxRpiMillis() < io.minRpiMillis()) {
                fail(append(at, "minRpiMillis"), "must be at least 1 and at most maxRpiMillis (" + io.maxRpiMillis()
                        + "): give the device's RPI limits in ms");
            }
        }
    }

    private void checkModbus() {
        ModbusSection modbus = p.modbus();
        if (modbus.blocks().isEmpty()) {
            return;
        }
        range(List.of("modbus"), "maxRegistersPerRequest", modbus.maxRegistersPerRequest(), 1, 125);
        Set<String> ids = new HashSet<>();
        Set<String> pointsRead = new HashSet<>();
        Map<Integer, TreeMap<Integer, String>> taken = new HashMap<>();
        List<ModbusBlock> blocks = modbus.blocks();
        for (int b = 0; b < blocks.size(); b++) {
            ModbusBlock block = blocks.get(b);
            List<Object> at = List.of("modbus", "blocks", b);
            blockId(block.id(), ids, at);
            if (block.functionCode() != 3 && block.functionCode() != 4) {
                fail(append(at, "functionCode"), "is " + block.functionCode()
                        + ": blocks are read with 3 (holding registers) or 4 (input registers)");
            }
            fields(block.fields(), at, pointsRead, true);
            TreeMap<Integer, String> used = taken.computeIfAbsent(block.functionCode(), fc -> new TreeMap<>());
            for (int f = 0; f < block.fields().size(); f++) {
                Field field = block.fields().get(f);
                if (field.address() == null) {
                    continue; // named by the field rules
                }
                int wire = modbus.wireAddress(field.address());
                List<Object> fieldAt = append(append(at, "fields"), f);
                if (wire < 0 || wire + field.wordCount() > 0x10000) {
                    fail(append(fieldAt, "address"), field.address() + " is outside " + modbus.addressBase()
                            + ".." + (modbus.addressBase() + 0xFFFF) + " (addressBase " + modbus.addressBase()
                            + ")");
                    continue;
                }
                for (int r = wire; r < wire + field.wordCount(); r++) {
                    String previous = used.put(r, field.point());
                    if (previous != null) {
                        fail(append(fieldAt, "address"), "register " + (r + modbus.addressBase())
                                + " is already read for point '" + previous + "'");
                        break;
                    }
                }
            }
        }
    }

    /** Checks the fields and returns the words they take. */
    private int fields(List<Field> fields, List<Object> at, Set<String> pointsRead, boolean modbus) {
        if (fields.isEmpty()) {
            fail(append(at, "fields"), "is empty: a block reads at least one field");
        }
        int words = 0;
        for (int f = 0; f < fields.size(); f++) {
            Field field = fields.get(f);
            List<Object> fieldAt = append(append(at, "fields"), f);
            if (field.point() == null || !p.points().containsKey(field.point())) {
                fail(append(fieldAt, "point"), "'" + field.point() + "' is not defined under points: add it"
                        + " there or fix the id");
            } else if (!pointsRead.add(field.point())) {
                fail(append(fieldAt, "point"), "'" + field.point() + "' is already read by another field");
            }
            if (field.type() == null) {
                fail(append(fieldAt, "type"), "is missing: one of INT, UINT, DINT, UDINT, ULINT, REAL,"
                        + " REAL_PAIR, STRING");
                continue;
            }
            if (field.type() == FieldType.STRING ? field.words() < 1 : field.words() != 0) {
                fail(append(fieldAt, "words"), field.type() == FieldType.STRING
                        ? "a STRING needs its length in words (1 or more)" : "only a STRING has words");
            }
            if ((field.type() == FieldType.REAL_PAIR) != (field.factor() > 0)) {
                fail(append(fieldAt, "factor"), field.type() == FieldType.REAL_PAIR
                        ? "a REAL_PAIR needs a positive factor (value = high × factor + low)"
                        : "only a REAL_PAIR has a factor");
            }
            if (modbus == (field.address() == null)) {
                fail(append(fieldAt, "address"), modbus ? "a Modbus field needs its documented address"
                        : "CIP fields follow each other and take no address");
            }
            if (field.transform() != Transform.NONE && (field.type() == FieldType.REAL
                    || field.type() == FieldType.REAL_PAIR || field.type() == FieldType.STRING)) {
                fail(append(fieldAt, "transform"), field.transform() + " applies to integer types only");
            }
            words += field.wordCount();
        }
        return words;
    }

    private void blockId(String id, Set<String> ids, List<Object> at) {
        if (id == null || id.isBlank()) {
            fail(append(at, "id"), "is missing: give the block an id");
        } else if (!ids.add(id)) {
            fail(append(at, "id"), "'" + id + "' is used by another block: ids are unique");
        }
    }

    private void range(List<Object> at, String name, int value, int min, int max) {
        if (value < min || value > max) {
            fail(append(at, name), "is " + value + ", must be " + min + ".." + max);
        }
    }

    private void fail(List<Object> path, String message) {
        violations.add(new Violation(path, message));
    }

    private static List<Object> append(List<Object> path, Object element) {
        List<Object> result = new ArrayList<>(path);
        result.add(element);
        return result;
    }
}
