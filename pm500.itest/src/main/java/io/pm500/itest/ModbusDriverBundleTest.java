package io.pm500.itest;

import java.util.Dictionary;
import java.util.Hashtable;

/** The Modbus driver bundle in Felix. */
class ModbusDriverBundleTest extends DriverBundleTest {

    @Override
    String driver() {
        return "pm500.driver.modbus";
    }

    @Override
    String threadPrefix() {
        return "pm500-modbus-";
    }

    @Override
    Dictionary<String, Object> meter(int base) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("port", meterPort(base));
        p.put("blockIntervals", new String[] { "energy=200", "status=200", "info=0" });
        return p;
    }

    @Override
    int meterPort(int base) {
        return base;
    }

    @Override
    String[] blocks() {
        return new String[] { "energy", "status", "info" };
    }
}
