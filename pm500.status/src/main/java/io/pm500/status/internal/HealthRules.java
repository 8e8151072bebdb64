package io.pm500.status.internal;

import io.pm500.api.status.ConnectionState;
import io.pm500.api.status.MeterStatus;
import io.pm500.api.status.SinkState;
import io.pm500.api.status.SinkStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.felix.hc.api.FormattingResultLog;
import org.apache.felix.hc.api.Result;

/**
 * What healthy means for meters, sinks and the gateway (the checks behind {@code /health}), apart from OSGi so that
 * it is tested on its own. Each result names what is wrong, why it matters and where to look.
 */
final class HealthRules {
    private HealthRules() {
    }

    /**
     * Every meter that is not disabled has had a good poll within {@code missedIntervals} of its shortest periodic
     * block interval (a meter never polled yet: since its driver started it), and is not LOST.
     */
    static Result meters(List<MeterStatus> meters, int missedIntervals, Instant now) {
        FormattingResultLog log = new FormattingResultLog();
        int healthy = 0;
        int disabled = 0;
        for (MeterStatus m : meters) {
            if (m.state() == ConnectionState.DISABLED) {
                disabled++;
                continue;
            }
            Duration interval = m.intervals().values().stream().filter(d -> !d.isZero()).min(Duration::compareTo)
                    .orElse(null);
            Instant since = m.lastSuccess() != null ? m.lastSuccess() : m.stateSince();
            Duration silent = Duration.between(since, now);
            if (m.state() == ConnectionState.LOST) {
                log.critical("meter {} at {}: LOST, no good poll for {} s: {}", m.meterId(), m.endpoint(),
                        silent.toSeconds(), m.lastError());
            } else if (interval != null && silent.compareTo(interval.multipliedBy(missedIntervals)) > 0) {
                log.critical("meter {} at {}: {}, no good poll for {} s ({} intervals of {} ms): {}", m.meterId(),
                        m.endpoint(), m.state(), silent.toSeconds(), missedIntervals, interval.toMillis(),
                        m.lastError().isEmpty() ? "no error yet" : m.lastError());
            } else {
                healthy++;
            }
        }
        log.info("{} of {} meters polled within {} intervals{}", healthy, meters.size() - disabled, missedIntervals,
                disabled == 0 ? "" : " (" + disabled + " disabled)");
        return new Result(log);
    }

    /**
     * Every sink delivered within {@code stalledSeconds} or has nothing queued, and holds less than
     * {@code outboxPercent} % of its outbox's limit; a sink whose configuration or bundle is gone only warns.
     */
    static Result sinks(List<SinkStatus> sinks, long stalledSeconds, int outboxPercent, Instant now) {
        FormattingResultLog log = new FormattingResultLog();
        for (SinkStatus s : sinks) {
            long idle = s.lastDelivery() != null ? Duration.between(s.lastDelivery(), now).toSeconds()
                    : s.oldestAge().toSeconds();
            if (s.queued() > 0 && idle > stalledSeconds) {
                log.critical("sink {}: {} readings queued and nothing delivered for {} s (limit {} s): {}",
                        s.sinkName(), s.queued(), idle, stalledSeconds,
                        s.lastError().isEmpty() ? "no error reported" : s.lastError());
            }
            if (s.queuedBytesLimit() > 0 && s.queuedBytes() * 100 >= s.queuedBytesLimit() * outboxPercent) {
                log.critical("sink {}: outbox {} % full ({} of {} bytes); beyond its limit the oldest readings are"
                        + " dropped: bring the destination back or raise the route's maxMegabytes", s.sinkName(),
                        s.queuedBytes() * 100 / s.queuedBytesLimit(), s.queuedBytes(), s.queuedBytesLimit());
            }
            if (s.state() == SinkState.ABSENT) {
                log.warn("sink {}: its outbox holds {} readings but the sink's configuration or bundle is gone",
                        s.sinkName(), s.queued());
            }
        }
        log.info("{} sinks", sinks.size());
        return new Result(log);
    }

    /** At least {@code minFreeBytes} free for the outboxes, and every component of the gateway active. */
    static Result system(Path dataDirectory, long freeBytes, long minFreeBytes, List<Components.Inactive> inactive) {
        FormattingResultLog log = new FormattingResultLog();
        if (freeBytes < minFreeBytes) {
            log.critical("{} MB free under {}, less than {} MB: the outboxes need room while a sink is down",
                    freeBytes >> 20, dataDirectory, minFreeBytes >> 20);
        } else {
            log.info("{} MB free under {}", freeBytes >> 20, dataDirectory);
        }
        for (Components.Inactive c : inactive) {
            log.critical("component {} ({}) is not active: {}", c.name(), c.configuration(), c.reason());
        }
        return new Result(log);
    }
}
