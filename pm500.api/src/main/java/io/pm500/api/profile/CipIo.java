package io.pm500.api.profile;

/**
 * How a model serves EtherNet/IP Class 1 (implicit) connections that only consume what it produces: the connection
 * points besides the produced assembly (a block's instance) and the limits of its requested packet interval.
 *
 * @param configurationInstance the configuration assembly named in every Forward_Open's path
 * @param inputOnlyPoint        the O->T heartbeat connection point of an input-only connection
 * @param listenOnlyPoint       the O->T heartbeat connection point of a listen-only connection (which the device
 *                              accepts only while another connection owns the produced assembly)
 * @param runIdleHeader         whether the produced (T->O) data starts with a 32-bit run/idle header
 * @param minRpiMillis          the shortest RPI the device accepts
 * @param maxRpiMillis          the longest RPI the device accepts
 * @param multicast             whether the device produces T->O multicast (shared by every connection to the same
 *                              assembly: what a listen-only connection listens to)
 * @param assumed               true when these are the project's assumption, not the manufacturer's documentation
 */
public record CipIo(int configurationInstance, int inputOnlyPoint, int listenOnlyPoint, boolean runIdleHeader,
        long minRpiMillis, long maxRpiMillis, boolean multicast, boolean assumed) {
}
