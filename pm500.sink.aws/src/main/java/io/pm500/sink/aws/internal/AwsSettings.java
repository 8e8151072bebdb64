package io.pm500.sink.aws.internal;

import io.pm500.api.reading.EnrichedReading;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated AWS IoT Core sink configuration; every check names the setting and the fix.
 *
 * @param topicTemplate   MQTT topic with {@code {site}}, {@code {area}}, {@code {asset}}, {@code {meterId}},
 *                        {@code {thingName}} placeholders
 * @param maxMessageBytes the largest batched message (AWS IoT Core takes 128 KB)
 */
record AwsSettings(String sinkName, String endpoint, int port, String thingName, Path certFile, Path keyFile,
        Path caFile, String topicTemplate, boolean batchMessages, int maxMessageBytes, int timeoutSeconds) {

    static final int AWS_MAX_MESSAGE_BYTES = 128 * 1024;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");
    private static final Pattern THING_NAME = Pattern.compile("[A-Za-z0-9:_-]{1,128}");

    AwsSettings {
        if (endpoint.isBlank() || endpoint.contains("/") || endpoint.contains(":")) {
            throw new IllegalArgumentException("aws: endpoint '" + endpoint + "' is not a host name; give the"
                    + " account's device data endpoint, e.g. abc123-ats.iot.eu-west-1.amazonaws.com (aws iot"
                    + " describe-endpoint --endpoint-type iot:Data-ATS)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("aws: port " + port + " is not 1..65535; 8883, or 443 (ALPN)");
        }
        if (!THING_NAME.matcher(thingName).matches()) {
            throw new IllegalArgumentException("aws: thingName '" + thingName + "' is not a thing name (1 to 128"
                    + " letters, digits, ':', '_', '-'); it is the MQTT client id, which the policy checks");
        }
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException("aws: certFile and keyFile are required: the device certificate and"
                    + " its private key (PEM) that AWS IoT issued for the thing");
        }
        Matcher m = PLACEHOLDER.matcher(topicTemplate);
        while (m.find()) {
            if (!Set.of("site", "area", "asset", "meterId", "thingName").contains(m.group(1))) {
                throw new IllegalArgumentException("aws: topicTemplate '" + topicTemplate + "' has an unknown"
                        + " placeholder {" + m.group(1) + "}; use {site}, {area}, {asset}, {meterId}, {thingName}");
            }
        }
        if (topicTemplate.isBlank() || topicTemplate.startsWith("$") || topicTemplate.contains("+")
                || topicTemplate.contains("#")) {
            throw new IllegalArgumentException("aws: topicTemplate '" + topicTemplate + "' must be a topic name"
                    + " without '+', '#' or a leading '$', e.g. pm500/{site}/{area}/{asset}/telemetry");
        }
        if (maxMessageBytes < 1024 || maxMessageBytes > AWS_MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("aws: maxMessageBytes " + maxMessageBytes + " is not 1024.."
                    + AWS_MAX_MESSAGE_BYTES + " (AWS IoT Core's limit)");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("aws: timeoutSeconds must be at least 1");
        }
    }

    /** The topic for a reading's meter: ids go in as one topic level each ('/', '+', '#' become '_', empty '_'). */
    String topic(EnrichedReading r) {
        Matcher m = PLACEHOLDER.matcher(topicTemplate);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String value = switch (m.group(1)) {
                case "site" -> r.site();
                case "area" -> r.area();
                case "asset" -> r.asset().isEmpty() ? r.meterId() : r.asset();
                case "meterId" -> r.meterId();
                default -> thingName;
            };
            m.appendReplacement(b, Matcher.quoteReplacement(value.isEmpty() ? "_" : value.replaceAll("[/+#]", "_")));
        }
        m.appendTail(b);
        return b.toString();
    }

    @Override
    public String toString() {
        return "aws sink '" + sinkName + "' " + thingName + "@" + endpoint + ":" + port + " topic " + topicTemplate
                + (batchMessages ? ", batches of up to " + maxMessageBytes + " bytes" : "");
    }
}
