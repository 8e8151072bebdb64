package io.pm500.sink.sparkplug.internal;

/**
 * The gateway's health as the edge node publishes it ({@code Gateway/...} node metrics).
 *
 * @param meters       meters the drivers know
 * @param metersOnline meters whose connection is up
 * @param queued       readings waiting in this sink's outbox
 * @param dropped      readings this sink's outbox dropped because it was full
 * @param deadLettered readings this sink refused for good
 * @param release      the fleet release the gateway runs (0: the jar's bundles, or no fleet agent)
 * @param failedRelease the last fleet release refused or rolled back (0: none)
 */
record NodeHealth(int meters, int metersOnline, long queued, long dropped, long deadLettered, long release,
        long failedRelease) {
    static final NodeHealth NONE = new NodeHealth(0, 0, 0, 0, 0, 0, 0);
}
