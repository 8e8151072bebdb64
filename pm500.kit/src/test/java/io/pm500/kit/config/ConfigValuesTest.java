package io.pm500.kit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ConfigValuesTest {
    enum Order { HIGH_FIRST, LOW_FIRST }

    @interface Meter {
        String meterId();

        int port() default 502;

        double ctRatio() default 1;

        boolean enabled() default true;

        String[] blockIntervals() default { "status=1000" };

        String[] derived() default {};

        Order order() default Order.HIGH_FIRST;

        String _token() default "";

        long serialNumber() default 0;
    }

    @interface Secret {
        int _token();
    }

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("config-test");

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

    private static Map<String, Object> cfg(Object... keyValues) {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "pm500.driver.modbus~m7");
        p.put("service.factoryPid", "pm500.driver.modbus");
        p.put("component.name", "x");
        p.put("felix.fileinstall.filename",
                Path.of("conf/pm500.driver.modbus-m7.cfg").toAbsolutePath().toUri().toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private List<String> lines(Level level) {
        return log.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void valuesFromACfgFileAreConvertedAndTheirListsSplitAtTopLevelCommas() {
        Meter m = ConfigValues.read(cfg("meterId", "m7", "port", " 5020 ", "ctRatio", "200.5", "enabled", "FALSE",
                "blockIntervals", "info=0, status=1000,,energy=5000",
                "derived", "a=sum(x,y), b=avg(x,y,z)", "order", "low_first", "serialNumber", "4294967295"),
                Meter.class, logger);
        assertThat(m.port()).isEqualTo(5020);
        assertThat(m.ctRatio()).isEqualTo(200.5);
        assertThat(m.enabled()).isFalse();
        assertThat(m.blockIntervals()).containsExactly("info=0", "status=1000", "energy=5000");
        assertThat(m.derived()).containsExactly("a=sum(x,y)", "b=avg(x,y,z)");
        assertThat(m.order()).isEqualTo(Order.LOW_FIRST);
        assertThat(m.serialNumber()).isEqualTo(4_294_967_295L);
        assertThat(log.list).isEmpty();
    }

    @Test
    void typedValuesFromTheConsoleOrAConfigFileKeepTheirElementsAndDefaultsApply() {
        Meter m = ConfigValues.read(cfg("meterId", "m7", "port", 502, "blockIntervals", new String[] { "a=1,5" }),
                Meter.class, logger);
        assertThat(m.blockIntervals()).containsExactly("a=1,5");
        assertThat(m.ctRatio()).isEqualTo(1.0);
        assertThat(m.enabled()).isTrue();
        assertThat(m.derived()).isEmpty();
    }

    @Test
    void everyBadValueIsNamedWithTheConfigurationTheFileTheKeyTheValueAndTheFixAndLoggedOnce() {
        assertThatThrownBy(() -> ConfigValues.read(cfg("meterId", "m7", "port", "abc", "ctRatio", "1,5",
                "enabled", "yes", "order", "middle", ".token", "s3cret-token"), Meter.class, logger))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("configuration pm500.driver.modbus~m7 (conf/pm500.driver.modbus-m7.cfg)")
                .hasMessageContaining("port = 'abc' is not a whole number (default 502)")
                .hasMessageContaining("ctRatio = '1,5' is not a number (default 1.0)")
                .hasMessageContaining("enabled = 'yes' is neither true nor false")
                .hasMessageContaining("order = 'middle' is not one of HIGH_FIRST, LOW_FIRST")
                .hasMessageContaining("Fix the values in its file or the Web Console");
        assertThat(lines(Level.ERROR)).hasSize(1).first().asString().contains("port = 'abc'");
    }

    @Test
    void aSecretIsNeverShownInAMessage() {
        assertThatThrownBy(() -> ConfigValues.read(cfg(".token", "s3cret"), Secret.class, logger))
                .hasMessageContaining(".token = '********'").hasMessageNotContaining("s3cret");
    }

    @Test
    void aMisspeltKeyIsWarnedAboutWithTheNearestKnownKeyAndFrameworkKeysAreNot() {
        ConfigValues.read(cfg("meterId", "m7", "blockInterval", "status=500", "portt", "503", "colour", "red",
                "ref.target", "(x=y)"), Meter.class, logger);
        assertThat(lines(Level.WARN)).containsExactlyInAnyOrder(
                "configuration pm500.driver.modbus~m7 (conf/pm500.driver.modbus-m7.cfg): key 'blockInterval' is not"
                        + " a setting and is ignored; did you mean 'blockIntervals'?",
                "configuration pm500.driver.modbus~m7 (conf/pm500.driver.modbus-m7.cfg): key 'portt' is not a setting"
                        + " and is ignored; did you mean 'port'?",
                "configuration pm500.driver.modbus~m7 (conf/pm500.driver.modbus-m7.cfg): key 'colour' is not a"
                        + " setting and is ignored; known keys: .token, blockIntervals, ctRatio, derived, enabled,"
                        + " meterId, order, port, serialNumber");
    }

    @Test
    void propertyNamesFollowTheDeclarativeServicesRules() {
        assertThat(ConfigValues.key("_password")).isEqualTo(".password");
        assertThat(ConfigValues.key("a__b")).isEqualTo("a_b");
        assertThat(ConfigValues.key("a$_$b")).isEqualTo("a-b");
        assertThat(ConfigValues.key("a$b$$")).isEqualTo("ab$");
    }

    @Test
    void outOfRangeWholeNumbersAreRefused() {
        assertThatThrownBy(() -> ConfigValues.read(cfg("port", "99999999999"), Meter.class, logger))
                .hasMessageContaining("port = '99999999999' is out of range");
    }
}
