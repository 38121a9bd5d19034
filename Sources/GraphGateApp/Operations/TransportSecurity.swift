import GraphGateSettings
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import JSONText
import NIOCore
import NIOSSL

/// How the main listener speaks: plain HTTP/1.1, or (with `GRAPHGATE_TLS_CERT`/`GRAPHGATE_TLS_KEY`) TLS 1.2+
/// with HTTP/2 negotiated by ALPN and HTTP/1.1 for clients that do not offer h2.
enum TransportSecurity {
    /// Both carry the HTTP limits of `limits` (`HTTPLimitsHandler`, idle timeout).
    static func serverBuilder(
        _ operations: OperationsConfig, limits: LimitsConfig
    ) throws(ConfigError)
        -> HTTPServerBuilder
    {
        let maxHeaderBytes = limits.maxHeaderBytes
        let headerTimeout = TimeAmount.milliseconds(limits.headerTimeout.inMilliseconds)
        // NIO's own parser limit sits above ours, so heads between the two get a 431 rather than a bare close.
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: maxHeaderBytes * 2, maxHeaderListSize: maxHeaderBytes * 2)
        let idle = TimeAmount.milliseconds(limits.idleTimeout.inMilliseconds)
        func channel(http1: Bool) -> HTTP1Channel.Configuration {
            HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    HTTPLimitsHandler(
                        maxHeaderBytes: maxHeaderBytes, headerTimeout: headerTimeout, keepAliveTimeout: idle,
                        http1: http1, bodyLimit: HTTPLimitsHandler.standardBodyLimit)
                ],
                idleTimeout: idle,
                httpDecoderConfiguration: decoder)
        }
        guard let certPath = operations.tlsCertificatePath, let keyPath = operations.tlsKeyPath else {
            let configuration = channel(http1: true)
            return HTTPServerBuilder { responder in
                EventLoopBoundChannel(inner: HTTP1Channel(responder: responder, configuration: configuration))
            }
        }
        let tls = try tlsConfiguration(certificatePath: certPath, keyPath: keyPath)
        let configuration = HTTP2UpgradeChannel.Configuration(
            idleTimeout: limits.idleTimeout, streamConfiguration: channel(http1: false))
        return HTTPServerBuilder { responder in
            EventLoopBoundChannel(
                inner: try HTTP2UpgradeChannel(
                    tlsConfiguration: tls, configuration: configuration, responder: responder))
        }
    }

    /// TLS 1.2 minimum (1.0 and 1.1 are refused during the handshake), NIOSSL's default modern cipher suites.
    static func tlsConfiguration(certificatePath: String, keyPath: String) throws(ConfigError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigError(OperationsConfig.tlsCertificate.name, "expected a PEM certificate chain")
        }
        guard !chain.isEmpty else {
            throw ConfigError(OperationsConfig.tlsCertificate.name, "the PEM file holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ConfigError(OperationsConfig.tlsKey.name, "expected an unencrypted PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // Built once here so a key that does not belong to the certificate is a setting's error, not an opaque
        // one from the first handshake's context.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigError(
                OperationsConfig.tlsKey.name,
                "does not match the certificate of \(OperationsConfig.tlsCertificate.name)")
        }
        return configuration
    }
}
