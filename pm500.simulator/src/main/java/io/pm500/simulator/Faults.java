package io.pm500.simulator;

import java.time.Duration;

/**
 * The faults one simulated meter shows, switchable at run time (API, and the standalone simulator's console).
 * Reply faults apply to both protocols; device errors to one each.
 */
public final class Faults {
    private volatile boolean noReply;
    private volatile long delayMillis;
    private volatile boolean garbage;
    private volatile boolean truncate;
    private volatile boolean hangUpOnRead;
    private volatile int cipStatus;
    private volatile int modbusException;
    private volatile boolean frozen;
    private volatile long offlineUntilNanos;
    private volatile long connectionEpoch;

    /** Stop answering: requests are read and dropped, so clients time out. */
    public Faults noReply(boolean on) {
        noReply = on;
        return this;
    }

    /** Hold every reply this long (0 for none). */
    public Faults delay(Duration delay) {
        delayMillis = delay.toMillis();
        return this;
    }

    /**
     * Replace every reply with random bytes of the same length (EtherNet/IP keeps the frame's length and sends
     * command code 0x8E, so that the client reads a whole malformed frame).
     */
    public Faults garbage(boolean on) {
        garbage = on;
        return this;
    }

    /** Send only the first half of every reply. */
    public Faults truncate(boolean on) {
        truncate = on;
        return this;
    }

    /**
     * Close the connection instead of answering a read of data (an Assembly's data attribute, a Modbus register
     * read), while sessions, CIP connections and every other request are served: a device that resets in the middle
     * of a request.
     */
    public Faults hangUpOnRead(boolean on) {
        hangUpOnRead = on;
        return this;
    }

    /** Answer every Assembly request with this CIP general status (0 for normal replies), e.g. 0x0C. */
    public Faults cipStatus(int status) {
        if (status < 0 || status > 0xFF) {
            throw new IllegalArgumentException("CIP general status is 0..255, not " + status);
        }
        cipStatus = status;
        return this;
    }

    /** Answer every Modbus request with this exception code (0 for normal replies), e.g. 4 or 6. */
    public Faults modbusException(int code) {
        if (code < 0 || code > 0xFF) {
            throw new IllegalArgumentException("Modbus exception code is 0..255, not " + code);
        }
        modbusException = code;
        return this;
    }

    /** Keep every value where it is (a hung measuring board); counters stop too. */
    public Faults freeze(boolean on) {
        frozen = on;
        return this;
    }

    /** Drop every open connection of the meter, once. */
    public Faults closeConnections() {
        connectionEpoch++;
        return this;
    }

    /** Restart the meter: connections drop, it refuses new ones for the duration, counters persist. */
    public Faults reboot(Duration downtime) {
        offlineUntilNanos = System.nanoTime() + downtime.toNanos();
        connectionEpoch++;
        return this;
    }

    /** Back to a healthy meter (a reboot in progress completes). */
    public Faults clear() {
        noReply = false;
        delayMillis = 0;
        garbage = false;
        truncate = false;
        hangUpOnRead = false;
        cipStatus = 0;
        modbusException = 0;
        frozen = false;
        return this;
    }

    boolean noReply() {
        return noReply;
    }

    long delayMillis() {
        return delayMillis;
    }

    boolean garbage() {
        return garbage;
    }

    boolean truncate() {
        return truncate;
    }

    boolean hangUpOnRead() {
        return hangUpOnRead;
    }

    int cipStatus() {
        return cipStatus;
    }

    int modbusException() {
        return modbusException;
    }

    boolean frozen() {
        return frozen;
    }

    boolean offline() {
        return System.nanoTime() - offlineUntilNanos < 0;
    }

    long offlineUntilNanos() {
        return offlineUntilNanos;
    }

    /** Changes whenever open connections must go. */
    long connectionEpoch() {
        return connectionEpoch;
    }

    @Override
    public String toString() {
        return "noReply=" + noReply + " delayMs=" + delayMillis + " garbage=" + garbage + " truncate=" + truncate
                + " hangUpOnRead=" + hangUpOnRead + " cipStatus=" + cipStatus + " modbusException=" + modbusException
                + " frozen=" + frozen + " offline=" + offline();
    }
}
