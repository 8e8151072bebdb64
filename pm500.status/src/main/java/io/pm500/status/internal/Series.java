package io.pm500.status.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A fixed number of the newest points of one or more values over time (a ring: no allocation per point). */
final class Series {
    private final long[] times;
    private final double[][] values;
    private int next;
    private int size;

    Series(int capacity, int width) {
        times = new long[capacity];
        values = new double[width][capacity];
    }

    synchronized void add(long epochMillis, double... point) {
        times[next] = epochMillis;
        for (int i = 0; i < values.length; i++) {
            values[i][next] = point[i];
        }
        next = (next + 1) % times.length;
        size = Math.min(size + 1, times.length);
    }

    /** Oldest first: {@code "t"} (epoch ms) and one array per value under {@code names}. */
    synchronized void write(ObjectNode into, String... names) {
        ArrayNode t = into.putArray("t");
        ArrayNode[] v = new ArrayNode[values.length];
        for (int i = 0; i < values.length; i++) {
            v[i] = into.putArray(names[i]);
        }
        for (int k = 0; k < size; k++) {
            int at = (next - size + k + times.length) % times.length;
            t.add(times[at]);
            for (int i = 0; i < values.length; i++) {
                double d = values[i][at];
                if (Double.isNaN(d)) {
                    v[i].addNull();
                } else {
                    v[i].add(d);
                }
            }
        }
    }
}
