package io.pm500.api.profile;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A meter model as data. The profile bundle loads one ({@code io.pm500.profile.DeviceProfiles}); it is immutable
 * and validated.
 *
 * @param profileVersion format version, 1
 * @param model          model name, e.g. {@code PowerMonitor 500}
 * @param identity       the CIP identity meters of this model report
 * @param assumptions    what this profile assumes where the manual is silent, for people
 * @param points         point id → what the point is
 * @param cip            the EtherNet/IP blocks
 * @param modbus         the Modbus blocks
 */
public record DeviceProfile(int profileVersion, String model, Identity identity, List<String> assumptions,
        Map<String, Point> points, CipSection cip, ModbusSection modbus) {
    public DeviceProfile {
        assumptions = assumptions == null ? List.of() : List.copyOf(assumptions);
        points = Map.copyOf(points);
        cip = cip == null ? new CipSection(null, null) : cip;
        modbus = modbus == null ? new ModbusSection(0, null, 0, null) : modbus;
    }

    public Optional<CipBlock> cipBlock(String id) {
        return cip.blocks().stream().filter(b -> b.id().equals(id)).findFirst();
    }

    public Optional<ModbusBlock> modbusBlock(String id) {
        return modbus.blocks().stream().filter(b -> b.id().equals(id)).findFirst();
    }
}
