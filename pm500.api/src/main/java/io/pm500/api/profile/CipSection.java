package io.pm500.api.profile;

import java.util.List;

/**
 * What a model exposes over EtherNet/IP.
 *
 * @param byteOrder byte order of the assembly data
 * @param blocks    the readable blocks
 */
public record CipSection(Endianness byteOrder, List<CipBlock> blocks) {
    public CipSection {
        byteOrder = byteOrder == null ? Endianness.LITTLE_ENDIAN : byteOrder;
        blocks = blocks == null ? List.of() : List.copyOf(blocks);
    }
}
