package io.pm500.api.profile;

import java.util.List;

/**
 * An EtherNet/IP block read with Get_Attribute_Single: its fields follow each other from byte 0.
 *
 * @param id        block id, e.g. {@code assembly.101}
 * @param classId   CIP class (4 = Assembly)
 * @param instance  CIP instance (PM500: 100–108)
 * @param attribute CIP attribute (3 = data)
 * @param size      data size in bytes, as the meter reports it in attribute 4
 * @param assumed   true when the element order is the project's assumption, not the manual's
 * @param fields    the fields in order
 */
public record CipBlock(String id, int classId, int instance, int attribute, int size, boolean assumed,
        List<Field> fields) {
    public CipBlock {
        fields = List.copyOf(fields);
    }
}
