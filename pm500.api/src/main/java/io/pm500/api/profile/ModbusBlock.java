package io.pm500.api.profile;

import java.util.List;

/**
 * A group of Modbus registers read together, with the same function code and poll interval.
 *
 * @param id           block id, e.g. {@code energy}
 * @param functionCode 3 (holding) or 4 (input registers)
 * @param writable     true for settings the meter accepts with FC06/FC16
 * @param fields       the fields, each at its own documented address
 */
public record ModbusBlock(String id, int functionCode, boolean writable, List<Field> fields) {
    public ModbusBlock {
        fields = List.copyOf(fields);
    }
}
