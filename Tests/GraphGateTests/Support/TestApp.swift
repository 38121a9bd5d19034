import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MicrosoftGraph
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Observability
import Sandbox
import ServiceLifecycle
import Storage
import TokenVault

@testable import GraphGateApp
@testable import GraphGateSettings

/// The real application (the same composition root `graphgate serve` uses, its services and its
/// `beforeServerStarts` step included) driven in process through Hummingbird's router test client: no listening
/// socket, so no port to pick and nothing a parallel test can take. The emulated tenant listens on a port the
/// kernel picks; a browser (``OAuthBrowser``) reaches it over HTTP and graphgate in process.
///
/// graphgate's public URL is `http://127.0.0.1:1` (``placeholderPort``) unless a test sets
/// `GRAPHGATE_PUBLIC_URL`: nothing listens there, so a request that left the process for it would fail, not
/// reach some other test's server. Each in-process request comes from 127.0.0.1 (as a local connection does), so
/// `GRAPHGATE_TRUSTED_PROXIES`, `X-Forwarded-For`, the per-address rate limits and address blocks behave as they
/// do on a socket.
///
/// Use it where the socket is not the point; ``TestServer`` where it is (TLS, the real serve loop). The
/// application's services run as they do under `serve` (a separate metrics listener included, on its own port).
struct TestApp: Sendable {
    /// The port of graphgate's public URL in process. Nothing listens there.
    static let placeholderPort = 1

    let config: GraphGateConfig
    /// graphgate's public URL (`config.publicURL`) without a trailing slash.
    let baseURL: String
    /// The router test client: `execute(uri:)` with a path.
    let client: any TestClientProtocol
    /// Requests by absolute URL: graphgate's public origin in process, anything else over HTTP.
    let http: TestHTTP

    func url(_ path: String) -> String { baseURL + path }

    /// - Parameters:
    ///   - environment: extra `GRAPHGATE_*` settings (as a user would set them).
    ///   - backend: the store; on PostgreSQL (`GRAPHGATE_TEST_POSTGRES_URL`) each call gets its own database.
    ///   - sandbox: the emulated tenant's configuration (sandbox mode).
    ///   - logger: the application's logger (default: warnings and above).
    static func with<R: Sendable>(
        environment: [String: String] = [:], backend: Database.Backend = .sqlite,
        sandbox: SandboxConfiguration = SandboxConfiguration(), logger: Logger? = nil,
        _ body: @escaping @Sendable (TestApp) async throws -> R
    ) async throws -> R {
        var settings = environment
        settings["GRAPHGATE_PORT"] = settings["GRAPHGATE_PORT"] ?? "\(placeholderPort)"
        return try await TestServer.withConfig(environment: settings, backend: backend) { config in
            let logger =
                logger
                ?? {
                    var logger = Logger(label: "test.app")
                    logger.logLevel = .warning
                    return logger
                }()
            // What `GraphGateServer.run` does before it builds the application.
            try OperationsConfig.checkStartupRules(config)
            GraphGateMetrics.bootstrap()
            let keyring = try KeyringSource.resolve(
                path: config.keyringPath, environmentValue: config.keyringKey, sandbox: config.sandbox,
                dataDirectory: config.dataDirectory, logger: logger)
            let database = try await Database.open(config.database, logger: logger)
            let http = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(60))))
            let network = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let app = try await buildApplication(
                    config: config, database: database, keyring: keyring, httpClient: http,
                    sandbox: config.sandbox ? SandboxTenant(configuration: sandbox, logger: logger) : nil,
                    logger: logger, onRunning: { _ in })
                let result = try await LocalPeerApplication(app).test(.router) { client in
                    let origin = InProcessOrigin(config.publicURL, client: client)
                    return try await body(
                        TestApp(
                            config: config, baseURL: config.publicURL.absoluteString.trimmingTrailingSlash,
                            client: client, http: TestHTTP(origin: origin, network: network)))
                }
                try? await network.shutdown()
                try? await http.shutdown()
                await database.close()
                return result
            } catch {
                try? await network.shutdown()
                try? await http.shutdown()
                await database.close()
                throw error
            }
        }
    }
}

/// graphgate's public origin, answered in process by the router test client.
struct InProcessOrigin: Sendable {
    let scheme: String
    let host: String
    let port: Int?
    let client: any TestClientProtocol

    init(_ publicURL: URL, client: any TestClientProtocol) {
        scheme = publicURL.scheme?.lowercased() ?? "http"
        host = publicURL.host?.lowercased() ?? ""
        port = publicURL.port
        self.client = client
    }

    /// The request target (path and query) of `url` when it is on this origin; nil for any other URL.
    func target(of url: String) -> (target: String, authority: String)? {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == scheme,
            components.host?.lowercased() == host, Self.port(components.port, scheme) == Self.port(port, scheme)
        else { return nil }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let target = components.percentEncodedQuery.map { path + "?" + $0 } ?? path
        let authority = components.percentEncodedHost.map { host in components.port.map { "\(host):\($0)" } ?? host }
        return (target, authority ?? host)
    }

    private static func port(_ port: Int?, _ scheme: String) -> Int { port ?? (scheme == "https" ? 443 : 80) }

    /// Sends a request to `url` in process when it is on this origin (with the `Host` an HTTP client would send);
    /// nil when it is not.
    func send(
        _ url: String, method: HTTPMethod, headers: [(String, String)], body: String?
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String)? {
        guard let (target, authority) = target(of: url) else { return nil }
        guard let method = HTTPRequest.Method(method.rawValue) else { throw HTTPError(.badRequest) }
        return try await client.fetch(target, method: method, headers: [("Host", authority)] + headers, body: body)
    }
}

/// Requests by absolute URL, answered like ``HTTPClient/fetch(_:method:headers:body:timeout:)``: graphgate's public
/// origin in process (its redirects are answered, not followed), any other URL (the emulated tenant, the metrics
/// listener) over HTTP.
struct TestHTTP: Sendable {
    let origin: InProcessOrigin
    let network: HTTPClient

    func fetch(
        _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        if let answer = try await origin.send(url, method: method, headers: headers, body: body) { return answer }
        return try await network.fetch(url, method: method, headers: headers, body: body, timeout: timeout)
    }
}

/// The application with each in-process request coming from a loopback peer (127.0.0.1), as a local connection
/// does: the router test client's context has no remote address, and without one graphgate knows no client
/// address (no `X-Forwarded-For`, no per-address limits or blocks). A `Host` header becomes the request's
/// authority, as the HTTP/1.1 server makes it, and the request runs on one of the application's event loops, as
/// the server runs it. For the router test client only (it never listens).
struct LocalPeerApplication<Inner: ApplicationProtocol>: ApplicationProtocol {
    struct Responder: HTTPResponder {
        typealias Context = Inner.Responder.Context
        static var hostField: HTTPField.Name { HTTPField.Name("Host")! }
        let inner: Inner.Responder
        let logger: Logger
        let eventLoopGroup: any EventLoopGroup

        func respond(to request: Request, context: Context) async throws -> Response {
            let channel = NIOAsyncTestingChannel()
            channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: TestApp.placeholderPort)
            channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: Int.random(in: 32768...60999))
            var head = request.head
            if let host = head.headerFields[Self.hostField] {
                head.authority = host
                head.headerFields[Self.hostField] = nil
            }
            // The router test client's per-request logger (the application's own is generic here).
            let logger = (context as? any RequestContext)?.logger ?? logger
            let request = Request(head: head, body: request.body)
            let context = Context(source: .init(channel: channel, logger: logger))
            // On an event loop of the application's group, as the server runs a connection's requests
            // (`EventLoopBoundChannel`), not on the cooperative pool every parallel test shares.
            return try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoopGroup.next())) {
                try await inner.respond(to: request, context: context)
            }
        }
    }

    let inner: Inner

    init(_ inner: Inner) { self.inner = inner }

    var responder: Responder {
        get async throws {
            Responder(inner: try await inner.responder, logger: inner.logger, eventLoopGroup: inner.eventLoopGroup)
        }
    }
    var eventLoopGroup: any EventLoopGroup { inner.eventLoopGroup }
    var configuration: ApplicationConfiguration { inner.configuration }
    var logger: Logger { inner.logger }
    var services: [any Service] { inner.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { inner.processesRunBeforeServerStart }
}

extension TestClientProtocol {
    /// A request through the in-process client, answered like `HTTPClient.fetch` answers (status, headers, text).
    func fetch(
        _ path: String, method: HTTPRequest.Method = .get, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        let response = try await execute(
            uri: path, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
        var answered = HTTPHeaders()
        for field in response.headers { answered.add(name: field.name.rawName, value: field.value) }
        return (Int(response.status.code), answered, String(buffer: response.body))
    }
}
