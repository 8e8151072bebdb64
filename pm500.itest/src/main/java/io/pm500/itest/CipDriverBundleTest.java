package io.pm500.itest;

import java.util.Dictionary;
import java.util.Hashtable;

/** The EtherNet/IP driver bundle in Felix, in connected mode (one CIP connection per meter). */
class CipDriverBundleTest extends DriverBundleTest {

    @Override
    String driver() {
        return "pm500.driver.cip";
    }

    @Override
    String threadPrefix() {
        return "pm500-cip-";
    }

    @Override
    Dictionary<String, Object> meter(int base) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("port", meterPort(base));
        p.put("messaging", "connected");
        p.put("blockIntervals", new String[] { "assembly.101=200", "assembly.102=200", "assembly.100=0" });
        return p;
    }

    @Override
    int meterPort(int base) {
        return base + 1;
    }

    @Override
    String[] blocks() {
        return new String[] { "assembly.101", "assembly.102", "assembly.100" };
    }
}
