package io.pm500.api.profile;

import java.util.List;

/**
 * What a model exposes over EtherNet/IP.
 *
 * @param byteOrder byte order of the assembly data
 * @param blocks    the readable blocks
 * @param io        how the model serves Class 1 connections; {@code null}: the profile does not say (no Class 1)
 */
public record CipSection(Endianness byteOrder, List<CipBlock> blocks, CipIo io) {
    public CipSection {
        byteOrder = byteOrder == null ? Endianness.LITTLE_ENDIAN : byteOrder;
        blocks = blocks == null ? List.of() : List.copyOf(blocks);
    }

    /** A section without Class 1. */
    public CipSection(Endianness byteOrder, List<CipBlock> blocks) {
        this(byteOrder, blocks, null);
    }
}
