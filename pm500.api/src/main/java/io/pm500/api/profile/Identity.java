package io.pm500.api.profile;

import java.util.Map;

/**
 * The CIP identity (class 0x01) a meter of this model reports.
 *
 * @param vendorId     CIP vendor id (1 = Rockwell Automation)
 * @param deviceType   CIP device type (0x92 = 146 for the PM500)
 * @param productName  product name
 * @param productCodes catalog number → product code
 */
public record Identity(int vendorId, int deviceType, String productName, Map<String, Integer> productCodes) {
    public Identity {
        productCodes = productCodes == null ? Map.of() : Map.copyOf(productCodes);
    }
}
