package io.pm500.driver.cip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.profile.CipBlock;
import io.pm500.api.profile.CipIo;
import io.pm500.api.profile.Field;
import io.pm500.api.profile.FieldType;
import io.pm500.driver.cip.internal.CipSettings.Messaging;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The receiving side's rules, datagram by datagram: sequence numbers, sizes, what is handed on, the watchdog. */
class ClassOneTest {
    private final CipBlock block = new CipBlock("assembly.100", 4, 100, 3, 4, false,
            List.of(new Field("p", FieldType.REAL, null, 2, 1, 1, null, null)));
    private final ClassOne c = new ClassOne(new CipIo(151, 152, 153, false, 10, 10_000, false, false),
            Messaging.IO_INPUT_ONLY, block, Duration.ofMillis(100), 0, false, new IoPort("127.0.0.1", 0));

    private static ByteBuffer data(int count, float value) {
        return ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) count).putFloat(value).flip();
    }

    @Test
    void repeatedAndOlderDatagramsAreDroppedAndGapsCounted() {
        c.received(1, data(1, 1f));
        c.received(2, data(2, 2f));
        c.received(2, data(2, 2f)); // a repeat
        c.received(1, data(1, 1f)); // overtaken
        c.received(5, data(3, 5f)); // 3 and 4 missed
        assertThat(c.counts()).containsExactly(3, 2, 2);
        assertThat(c.takeNew().getFloat(0)).as("the newest data").isEqualTo(5f);
        assertThat(c.takeNew()).as("taken once").isNull();
    }

    @Test
    void theSequenceNumberWrapsAround() {
        c.received(-2, data(1, 1f));
        c.received(-1, data(2, 2f));
        c.received(0, data(3, 3f));
        c.received(1, data(4, 4f));
        assertThat(c.counts()).containsExactly(4, 0, 0);
    }

    @Test
    void unchangedDataIsNotHandedOnAgainWithinTheReportInterval() {
        c.received(1, data(1, 7f));
        assertThat(c.takeNew()).isNotNull();
        c.received(2, data(1, 7f));
        c.received(3, data(1, 7f));
        assertThat(c.takeNew()).as("the same data again").isNull();
        c.received(4, data(2, 8f));
        assertThat(c.takeNew().getFloat(0)).isEqualTo(8f);
        assertThat(c.counts()[0]).as("every datagram feeds the watchdog").isEqualTo(4);
    }

    @Test
    void aDatagramOfAnotherSizeIsCountedAndNamedByTheWatchdog() throws Exception {
        c.received(1, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN));
        assertThat(c.takeNew()).isNull();
        Thread.sleep(450); // past RPI 100 ms x 4 without a good datagram
        assertThat(c.expired(Messaging.IO_INPUT_ONLY)).contains("no Class 1 data of assembly.100",
                "1 datagrams of another size than the profile's 4 bytes");
    }
}
