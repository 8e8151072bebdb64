package io.pm500.driver.modbus.internal;

import io.pm500.api.sample.MeterPlan;
import io.pm500.api.sample.Sample;
import io.pm500.api.sample.SampleConsumer;
import io.pm500.api.status.ConnectionState;
import java.util.List;

/**
 * The pipeline as a meter on a {@link ModbusLoop} sees it: a sample delivered on the loop's thread joins the loop's
 * {@link Round}, handed over when the round ends; the pipeline hears of a connection change, a plan or a withdrawal
 * after the samples delivered before it. Calls from other threads go straight to the pipeline.
 */
final class LoopConsumer implements SampleConsumer {
    private final ModbusLoop loop;
    private final SampleConsumer pipeline;

    LoopConsumer(ModbusLoop loop, SampleConsumer pipeline) {
        this.loop = loop;
        this.pipeline = pipeline;
    }

    @Override
    public void accept(Sample sample) {
        if (loop.inLoop()) {
            loop.round().add(pipeline, sample);
        } else {
            pipeline.accept(sample);
        }
    }

    @Override
    public void accept(List<Sample> samples) {
        handOverFirst();
        pipeline.accept(samples);
    }

    @Override
    public void announce(MeterPlan plan) {
        handOverFirst();
        pipeline.announce(plan);
    }

    @Override
    public void connection(String meterId, String driver, ConnectionState state) {
        handOverFirst();
        pipeline.connection(meterId, driver, state);
    }

    @Override
    public void withdraw(String meterId, String driver) {
        handOverFirst();
        pipeline.withdraw(meterId, driver);
    }

    private void handOverFirst() {
        if (loop.inLoop()) {
            loop.round().handOver();
        }
    }
}
