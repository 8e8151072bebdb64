package io.pm500.driver.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.RefusedConfiguration;
import io.pm500.api.profile.DeviceProfile;
import io.pm500.profile.DeviceProfiles;
import io.pm500.profile.ProfileException;
import io.pm500.testkit.pipeline.DriverEvents;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class MeterConfigurationsTest {
    private static final String FACTORY = "pm500.driver.test";

    /** The configuration type of the driver under test. */
    @interface Config {
        String meterId();

        int port() default 502;
    }

    record Settings(String meterId, int port) {
    }

    private final DriverEvents events = new DriverEvents();
    private final List<Rules> started = new ArrayList<>();
    private final MeterConfigurations<Config, Settings> meters = new MeterConfigurations<>("test meters", FACTORY,
            LoggerFactory.getLogger(MeterConfigurationsTest.class), Config.class, c -> {
                if (c.port() < 1 || c.port() > 65535) {
                    throw new IllegalArgumentException("configuration of meter " + c.meterId() + ": port "
                            + c.port() + " must be 1..65535");
                }
                return new Settings(c.meterId(), c.port());
            }, s -> {
                Rules r = new Rules(s, events);
                started.add(r);
                return r;
            });

    @Test
    void eachConfigurationIsOneMeterPolledUntilItIsDeleted() {
        meters.updated(FACTORY + "~a", properties("a", "502"));
        meters.updated(FACTORY + "~b", properties("b", "503"));
        assertThat(meters.meters()).extracting(MeterStatus::meterId).containsExactlyInAnyOrder("a", "b");

        meters.updated(FACTORY + "~a", properties("a", "504")); // an edit: the old poller stops, a new one starts
        assertThat(started).hasSize(3);
        assertThat(started.get(0).isClosed()).isTrue();
        assertThat(started.get(2).settings.port()).isEqualTo(504);
        assertThat(meters.meters()).hasSize(2);

        meters.deleted(FACTORY + "~b");
        assertThat(started.get(1).isClosed()).isTrue();
        // the pipeline is told when a meter's poller stops: the edit's old one, then the deleted meter's
        assertThat(events.withdrawn()).containsExactly("a@" + FACTORY, "b@" + FACTORY);
        assertThat(meters.meters()).extracting(MeterStatus::meterId).containsExactly("a");
    }

    @Test
    void aRefusedConfigurationIsListedWithItsReasonUntilFixedOrDeleted() {
        meters.updated(FACTORY + "~bad", properties("bad", "70000"));
        meters.updated(FACTORY + "~typo", properties("typo", "abc"));
        assertThat(started).isEmpty();
        assertThat(meters.meters()).isEmpty();
        assertThat(meters.refusedConfigurations()).extracting(RefusedConfiguration::factory).containsOnly(FACTORY);
        assertThat(meters.refusedConfigurations()).filteredOn(r -> r.pid().equals(FACTORY + "~bad")).singleElement()
                .satisfies(r -> assertThat(r.reason()).contains("port 70000 must be 1..65535"));
        assertThat(meters.refusedConfigurations()).filteredOn(r -> r.pid().equals(FACTORY + "~typo"))
                .singleElement().satisfies(r -> assertThat(r.reason()).contains("port = 'abc' is not a whole number")
                        .contains(FACTORY + "~typo"));

        meters.updated(FACTORY + "~bad", properties("bad", "502"));
        meters.deleted(FACTORY + "~typo");
        assertThat(meters.refusedConfigurations()).isEmpty();
        assertThat(meters.meters()).extracting(MeterStatus::meterId).containsExactly("bad");
    }

    @Test
    void aRefusedEditLeavesTheMeterPollingAsBefore() {
        meters.updated(FACTORY + "~a", properties("a", "502"));
        meters.updated(FACTORY + "~a", properties("a", "0"));
        assertThat(started).singleElement().satisfies(r -> {
            assertThat(r.isClosed()).isFalse();
            assertThat(r.settings.port()).isEqualTo(502);
        });
        assertThat(meters.meters()).extracting(MeterStatus::meterId).containsExactly("a");
        assertThat(meters.refusedConfigurations()).extracting(RefusedConfiguration::pid)
                .containsExactly(FACTORY + "~a");
    }

    @Test
    void closingStopsEveryMeterAndLaterConfigurationsAreIgnored() {
        meters.updated(FACTORY + "~a", properties("a", "502"));
        meters.updated(FACTORY + "~b", properties("b", "x"));
        meters.close();
        assertThat(started).singleElement().satisfies(r -> assertThat(r.isClosed()).isTrue());
        assertThat(meters.meters()).isEmpty();
        assertThat(meters.refusedConfigurations()).isEmpty();

        meters.updated(FACTORY + "~c", properties("c", "502")); // Config Admin still calling a factory going away
        assertThat(started).hasSize(1);
        assertThat(meters.meters()).isEmpty();
    }

    private static Hashtable<String, Object> properties(String meterId, String port) {
        return new Hashtable<>(Map.of("meterId", meterId, "port", port, "service.pid", FACTORY + "~" + meterId,
                "service.factoryPid", FACTORY));
    }

    /** A meter that is never polled: only its configuration and life matter here. */
    static final class Rules extends PollRules<PollBlock> {
        private static final DeviceProfile PROFILE;

        static {
            try {
                PROFILE = DeviceProfiles.builtIn(DeviceProfiles.PM500);
            } catch (ProfileException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Settings settings;

        Rules(Settings settings, DriverEvents events) {
            super(settings.meterId(), "Test", FACTORY, "127.0.0.1:" + settings.port(), Map.of("status", 1000L), 3,
                    true, PROFILE, events, Clock.systemUTC());
            this.settings = settings;
        }

        @Override
        protected boolean isOpen() {
            return false;
        }

        @Override
        protected void disconnect() {
            // never connected
        }

        @Override
        protected PollFailure classify(Exception e) {
            throw new AssertionError("never polled", e);
        }

        @Override
        public void close() {
            closeRules();
        }

        boolean isClosed() {
            return closed();
        }
    }
}
