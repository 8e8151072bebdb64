package io.pm500.driver.kit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pm500.api.sample.AcquisitionStatus;
import io.pm500.api.status.ConnectionState;
import io.pm500.testkit.pipeline.DriverEvents;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Faults are logged when they start, summarised every few minutes while they last, and when they clear. */
class FaultReportTest {
    /** A clock the test moves. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-12-01T08:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ConnectionHealth.class);
    private ConnectionHealth health;

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
        health = new ConnectionHealth("m7", "pm500.driver.modbus", "10.0.4.21:502 unit 1",
                Map.of("energy", 1000L, "settings", 1000L), 3, true, clock, new DriverEvents());
        health.connected();
        health.succeeded("energy", 1_000_000);
        log.list.clear();
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

    private List<String> lines(Level level) {
        return log.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aRefusedBlockIsOneWarningThenASummaryEveryFiveMinutesThenOneLineWhenItClears() {
        String detail = "Modbus exception 2 (Illegal Data Address): the meter has no such register; check the"
                + " profile's map against this meter's model and firmware";
        for (int second = 0; second < 600; second++) { // ten minutes of 1 s polls, one block refused each time
            health.failed("settings", AcquisitionStatus.DEVICE_ERROR, detail, false);
            health.succeeded("energy", 1_000_000);
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(lines(Level.WARN)).hasSize(2).first().asString()
                .isEqualTo("pm500.driver.modbus meter m7: block settings fails: DEVICE_ERROR: " + detail);
        assertThat(lines(Level.WARN).get(1)).startsWith("pm500.driver.modbus meter m7: block settings fails still:"
                + " 300 times in the last 5 min, 301 since 2026-12-01T08:00:00Z; last: DEVICE_ERROR: Modbus"
                + " exception 2");
        assertThat(lines(Level.INFO)).as("the good block says nothing while the other fails").isEmpty();
        assertThat(health.status().state()).as("the meter answers").isEqualTo(ConnectionState.CONNECTED);
        assertThat(health.status().lastError()).contains("Modbus exception 2");

        health.succeeded("settings", 1_000_000);
        assertThat(lines(Level.INFO)).containsExactly(
                "pm500.driver.modbus meter m7: block settings reads again (the fault lasted 600 s, 600 times)");
        health.succeeded("settings", 1_000_000);
        assertThat(log.list).hasSize(3);
    }

    @Test
    void aConnectionThatFailsIsOneFaultForTheMeterNotOnePerBlock() {
        for (int i = 0; i < 4; i++) {
            health.failed(i % 2 == 0 ? "energy" : "settings", AcquisitionStatus.TIMEOUT, "no reply in 1000 ms",
                    true);
        }
        assertThat(lines(Level.WARN)).containsExactly(
                "pm500.driver.modbus meter m7: cannot read 10.0.4.21:502 unit 1: TIMEOUT: no reply in 1000 ms",
                "pm500.driver.modbus meter m7: lost after 3 failed polls at 10.0.4.21:502 unit 1: TIMEOUT: no reply"
                        + " in 1000 ms");
        clock.advance(Duration.ofSeconds(42));
        health.connected();
        health.succeeded("energy", 1_000_000);
        assertThat(lines(Level.INFO)).containsExactly("pm500.driver.modbus meter m7: reads 10.0.4.21:502 unit 1"
                + " again (the fault lasted 42 s, 4 times)");
    }

    @Test
    void reconnectingMoreThanFiveTimesAMinuteIsReportedAndCounted() {
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(10));
            health.connected();
        }
        assertThat(log.list).as("5 reconnects in 50 s are within the limit").isEmpty();
        for (int i = 0; i < 360; i++) { // a device that closes after every reply: a reconnect a second, 6 minutes
            clock.advance(Duration.ofSeconds(1));
            health.connected();
            health.succeeded("energy", 1_000_000);
        }
        assertThat(lines(Level.WARN)).hasSize(2);
        assertThat(lines(Level.WARN).get(0)).isEqualTo("pm500.driver.modbus meter m7: reconnects more than 5 times a"
                + " minute: the device (or a firewall between) closes the connection; check its idle timeout and"
                + " connection limit");
        assertThat(lines(Level.WARN).get(1)).contains("reconnects more than 5 times a minute still: 300 times in"
                + " the last 5 min");
        assertThat(health.status().reconnects()).isEqualTo(5 + 360);

        clock.advance(Duration.ofSeconds(61));
        health.succeeded("energy", 1_000_000);
        assertThat(lines(Level.INFO)).singleElement().asString()
                .startsWith("pm500.driver.modbus meter m7: reconnects are back to at most 5 a minute");
    }

    @Test
    void reconnectsAfterTimeoutsAreTheTimeoutsFaultNotAReconnectStorm() {
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(2));
            health.connected();
            health.failed("energy", AcquisitionStatus.TIMEOUT, "no reply within 1000 ms from unit 1", true);
        }
        assertThat(lines(Level.WARN)).hasSize(2).allMatch(l -> !l.contains("reconnects"));
        assertThat(health.status().reconnects()).isEqualTo(10);
    }

    @Test
    void aMeterIsSlowUntilItAnswersPromptlyAndAgainWhenItTimesOutOrAnswersLate() {
        ConnectionHealth fresh = new ConnectionHealth("m8", "d", "e", Map.of("b", 1000L), 3, true, clock, new DriverEvents());
        assertThat(fresh.slow()).as("never connected: connecting may block").isTrue();
        fresh.succeeded("b", 2_000_000);
        assertThat(fresh.slow()).isFalse();
        fresh.failed("b", AcquisitionStatus.DEVICE_ERROR, "code 2", false);
        assertThat(fresh.slow()).as("a refusal is a prompt answer").isFalse();
        fresh.failed("b", AcquisitionStatus.TIMEOUT, "no reply", true);
        assertThat(fresh.slow()).isTrue();
        fresh.succeeded("b", 2_000_000);
        fresh.succeeded("b", (ConnectionHealth.SLOW_REPLY_MILLIS + 1) * 1_000_000);
        assertThat(fresh.slow()).as("a late reply").isTrue();
    }
}
