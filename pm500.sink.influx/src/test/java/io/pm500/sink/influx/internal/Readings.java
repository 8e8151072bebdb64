package io.pm500.sink.influx.internal;

import io.pm500.api.reading.EnrichedReading;
import io.pm500.api.reading.Phase;
import io.pm500.api.reading.Quality;
import io.pm500.api.sample.Value;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Readings as the pipeline makes them, for the encoder and sink tests. */
final class Readings {
    static final Instant T = Instant.parse("2026-11-27T10:15:30.123456789Z");

    private Readings() {
    }

    static EnrichedReading good(long seq, String meter, String metric, Phase phase, String unit, Value value,
            Instant at) {
        return new EnrichedReading(seq, meter, "plant1", "line4", "feeder-" + meter, metric, phase, unit, value,
                Quality.GOOD, at, at);
    }

    static EnrichedReading of(long seq, String meter, String metric, Phase phase, String unit, Value value,
            Quality quality, Instant at) {
        return new EnrichedReading(seq, meter, "plant1", "line4", "feeder-" + meter, metric, phase, unit, value,
                quality, at, at);
    }

    /** A sample of a PM500 as the default profile reports it: 5 lines (L1, L2, L3, N, total). */
    static List<EnrichedReading> sample(long firstSeq, String meter, Instant at) {
        List<EnrichedReading> r = new ArrayList<>();
        long s = firstSeq;
        String[] l = { "l1", "l2", "l3" };
        Phase[] p = { Phase.L1, Phase.L2, Phase.L3 };
        for (int i = 0; i < 3; i++) {
            r.add(good(s++, meter, "voltage." + l[i] + "n", p[i], "V", Value.of(230.1 + i), at));
            r.add(good(s++, meter, "current." + l[i], p[i], "A", Value.of(10.5 + i), at));
            r.add(good(s++, meter, "power.active." + l[i], p[i], "kW", Value.of(2.25 + i), at));
            r.add(good(s++, meter, "pf." + l[i], p[i], "", Value.of(0.95), at));
        }
        r.add(good(s++, meter, "current.n", Phase.N, "A", Value.of(0.4), at));
        r.add(good(s++, meter, "power.active.total", Phase.TOTAL, "kW", Value.of(9.75), at));
        r.add(good(s++, meter, "voltage.l1l2", Phase.NONE, "V", Value.of(400.2), at));
        r.add(good(s++, meter, "frequency", Phase.NONE, "Hz", Value.of(50.01), at));
        r.add(good(s++, meter, "energy.active.import.total", Phase.TOTAL, "Wh", Value.of(123_456_789L), at));
        r.add(good(s, meter, "alarms.virtual", Phase.NONE, "", Value.of(5L), at));
        return r;
    }
}
