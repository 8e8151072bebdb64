package io.pm500.sink.aws.internal;

import java.nio.file.Path;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import software.amazon.awssdk.crt.io.ClientBootstrap;
import software.amazon.awssdk.crt.io.EventLoopGroup;
import software.amazon.awssdk.crt.io.HostResolver;
import software.amazon.awssdk.iot.AwsIotMqtt5ClientBuilder;

/**
 * The AWS common runtime's native event loop, host resolver and bootstrap that every AWS IoT client of this bundle
 * runs on (the SDK's client builder takes its static defaults and cannot be given others). Clients are built here;
 * Declarative Services disposes of this component when the last sink using it goes, and with it the native threads,
 * which would otherwise outlive the bundle. The next client makes them anew.
 */
@Component(service = CrtRuntime.class)
public final class CrtRuntime {

    /** A client builder with mutual TLS from PEM files, on this runtime. */
    AwsIotMqtt5ClientBuilder mtlsBuilder(String endpoint, Path certFile, Path keyFile) {
        return AwsIotMqtt5ClientBuilder.newDirectMqttBuilderWithMtlsFromPath(endpoint, certFile.toString(),
                keyFile.toString());
    }

    @Deactivate
    void close() {
        ClientBootstrap.closeStaticDefault();
        HostResolver.closeStaticDefault();
        EventLoopGroup.closeStaticDefault();
    }
}
