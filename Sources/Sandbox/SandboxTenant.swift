import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The emulated Microsoft 365 tenant: identity platform v2.0 and Graph v1.0 on one HTTP server.
///
/// Its authority and Graph base are the same URL: identity under `/{tenant}/…`, Graph under `/v1.0/…`,
/// and the loopback-only control path under `/_sandbox/…`. Run it in a `ServiceGroup` or with ``withRunning(_:logger:_:)``.
public final class SandboxTenant: Service, Sendable {
    public let configuration: SandboxConfiguration
    private let logger: Logger
    let core: TenantCore
    private let bound = Mutex<BoundState>(BoundState())

    private struct BoundState: Sendable {
        var url: URL?
        var failure: String?
        var waiters: [CheckedContinuation<URL, any Error>] = []
    }

    /// Errors of the tenant's lifecycle.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(
        configuration: SandboxConfiguration = SandboxConfiguration(),
        logger: Logger = Logger(label: "graphgate.sandbox")
    ) {
        self.configuration = configuration
        self.logger = logger
        core = TenantCore(configuration: configuration, logger: logger)
    }

    /// The base URL once listening (authority and Graph root), else nil.
    public var baseURL: URL? { bound.withLock { $0.url } }

    /// Serves until cancelled or gracefully shut down.
    public func run() async throws {
        let server: HTTPServerBuilder
        let scheme: String
        do {
            (server, scheme) = try serverBuilder()
        } catch {
            markFailed("the sandbox tenant could not load its TLS certificate or key")
            throw StartError(description: "the sandbox tenant could not load its TLS certificate or key")
        }
        let app = Application(
            responder: SandboxResponder(core: core),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "Microsoft-HTTPAPI/2.0 (sandbox)"),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                markRunning(URL(string: "\(scheme)://\(host):\(port)")!)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            markFailed("the sandbox tenant stopped: \(error)")
            throw error
        }
        markFailed("the sandbox tenant stopped")
    }

    private func serverBuilder() throws -> (HTTPServerBuilder, String) {
        guard let certPath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath else {
            return (.http1(), "http")
        }
        let chain = try NIOSSLCertificate.fromPEMFile(certPath)
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return (try .tls(.http1(), tlsConfiguration: tls), "https")
    }

    /// Waits until the server listens and returns its base URL (e.g. `http://127.0.0.1:54321`).
    public func waitUntilRunning() async throws -> URL {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<URL, any Error>) in
            let immediate: Result<URL, StartError>? = bound.withLock { s in
                if let url = s.url { return .success(url) }
                if let f = s.failure { return .failure(StartError(description: f)) }
                s.waiters.append(c)
                return nil
            }
            if let immediate { c.resume(with: immediate) }
        }
    }

    private func markRunning(_ url: URL) {
        core.baseURL = url.absoluteString
        let waiters = bound.withLock { s -> [CheckedContinuation<URL, any Error>] in
            s.url = url
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        logger.info("sandbox tenant listening", metadata: ["gg.url": "\(url.absoluteString)"])
        for w in waiters { w.resume(returning: url) }
    }

    private func markFailed(_ reason: String) {
        let waiters = bound.withLock { s -> [CheckedContinuation<URL, any Error>] in
            if s.url == nil { s.failure = reason }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters { w.resume(throwing: StartError(description: reason)) }
    }

    /// Starts a tenant, runs `body` with its base URL, then stops it.
    public static func withRunning<T: Sendable>(
        _ configuration: SandboxConfiguration = SandboxConfiguration(),
        logger: Logger = Logger(label: "graphgate.sandbox"),
        _ body: @Sendable (URL) async throws -> T
    ) async throws -> T {
        let tenant = SandboxTenant(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await tenant.run()
                return nil
            }
            let url = try await tenant.waitUntilRunning()
            do {
                let result = try await body(url)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
