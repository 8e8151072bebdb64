package io.pm500.driver.cip.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The ethernet-ip library's threads exist only once a session needs them, and not again after the driver stopped. */
class CipThreadsTest {

    @Test
    void theLibrarysThreadsAreMadeForTheFirstSessionOnlyAndEndWithTheDriver() throws InterruptedException {
        CipThreads threads = new CipThreads();
        assertThat(threads.libraryStarted()).as("no Netty while no EtherNet/IP meter polled").isFalse();

        CipThreads.Library library = threads.library();
        assertThat(threads.library()).isSameAs(library);
        assertThat(threads.libraryStarted()).isTrue();

        threads.stop();
        assertThat(library.eventLoop().isTerminated()).isTrue();
        assertThat(library.callbacks().isShutdown()).isTrue();
        assertThatThrownBy(threads::library).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stopping");
    }

    @Test
    void aDriverThatNeverPolledStopsWithoutMakingThem() throws InterruptedException {
        CipThreads threads = new CipThreads();
        threads.stop();
        assertThat(threads.libraryStarted()).isFalse();
    }
}
