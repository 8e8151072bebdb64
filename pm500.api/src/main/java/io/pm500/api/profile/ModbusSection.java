package io.pm500.api.profile;

import java.util.List;

/**
 * What a model exposes over Modbus.
 *
 * @param addressBase            documented address of wire address 0 (300001 for 3xxxxx notation)
 * @param wordOrder              word order of multi-word values, unless a field says otherwise
 * @param maxRegistersPerRequest the most registers one request may ask for
 * @param blocks                 the register groups
 */
public record ModbusSection(int addressBase, WordOrder wordOrder, int maxRegistersPerRequest,
        List<ModbusBlock> blocks) {
    public ModbusSection {
        wordOrder = wordOrder == null ? WordOrder.HIGH_FIRST : wordOrder;
        maxRegistersPerRequest = maxRegistersPerRequest == 0 ? 125 : maxRegistersPerRequest;
        blocks = blocks == null ? List.of() : List.copyOf(blocks);
    }

    /** Wire address (0–65535) of a documented address. */
    public int wireAddress(int documentedAddress) {
        return documentedAddress - addressBase;
    }
}
