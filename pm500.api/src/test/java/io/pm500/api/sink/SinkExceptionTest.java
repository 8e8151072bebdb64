package io.pm500.api.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SinkExceptionTest {

    @Test
    void retriableCarriesCauseAndNoDelay() {
        IOException cause = new IOException("connection refused");
        SinkException e = SinkException.retriable("influx down", cause);
        assertThat(e.isRetriable()).isTrue();
        assertThat(e.getCause()).isSameAs(cause);
        assertThat(e.retryAfter()).isEmpty();
    }

    @Test
    void retryAfterIsKept() {
        SinkException e = SinkException.retriableAfter("429", Duration.ofSeconds(30));
        assertThat(e.isRetriable()).isTrue();
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
        assertThatIllegalArgumentException().isThrownBy(() -> SinkException.retriableAfter("x", Duration.ofSeconds(-1)));
    }

    @Test
    void permanentIsNotRetriable() {
        assertThat(SinkException.permanent("field type conflict", null).isRetriable()).isFalse();
    }
}
