import AsyncHTTPClient
import Foundation
import GraphGateApp
import GraphGateSettings
import Logging
import NIOCore
import NIOHTTP1
import Sandbox
import ServiceLifecycle
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Starts the real graphgate (HTTP app + emulated tenant in-process + a fresh store) listening on a socket, for
/// the tests where the socket is the point: TLS, the real serve loop. Everything else uses
/// ``TestApp`` (in process, no socket).
///
/// It listens on port 0 unless `GRAPHGATE_PORT` says otherwise: the kernel picks a free port as it binds, and the
/// server reports it (`GraphGateServer.run`'s `onRunning`), so no other test can take it first. The configured
/// public URL is derived before binding and so names port 0: a test that needs graphgate's public URL (OAuth,
/// `/mcp` with an `Origin`) belongs in ``TestApp``, which has a fixed one.
///
/// Usage: `try await TestServer.with { server in ... server.url("/healthz") ... }`.
struct TestServer: Sendable {
    let config: GraphGateConfig
    /// Where the server listens (`http://127.0.0.1:<bound port>`).
    let baseURL: String
    let http: HTTPClient

    func url(_ path: String) -> String { baseURL + path }

    /// - Parameters:
    ///   - environment: extra `GRAPHGATE_*` settings (as a user would set them).
    ///   - backend: the store; on PostgreSQL (`GRAPHGATE_TEST_POSTGRES_URL`) each call gets its own database.
    static func with<R: Sendable>(
        environment: [String: String] = [:], backend: Database.Backend = .sqlite,
        sandbox: SandboxConfiguration = SandboxConfiguration(),
        _ body: @escaping @Sendable (TestServer) async throws -> R
    ) async throws -> R {
        var settings = environment
        settings["GRAPHGATE_PORT"] = settings["GRAPHGATE_PORT"] ?? "0"
        return try await withConfig(environment: settings, backend: backend) { config in
            try await runServer(config: config, sandbox: sandbox, body)
        }
    }

    /// A configuration as a user would give it (`environment` over the defaults), on a fresh store of `backend`
    /// that is removed afterwards: a SQLite file in a temporary directory, or on PostgreSQL
    /// (`GRAPHGATE_TEST_POSTGRES_URL`) a database of its own.
    static func withConfig<R: Sendable>(
        environment: [String: String], backend: Database.Backend,
        _ body: @escaping @Sendable (GraphGateConfig) async throws -> R
    ) async throws -> R {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gg-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: path) }
        var env = ["GRAPHGATE_DATABASE_URL": "sqlite:\(path.path)/graphgate.sqlite"]
        env.merge(environment) { _, new in new }
        guard backend == .postgres else { return try await body(try GraphGateConfig.load(environment: env)) }
        let settings = env
        return try await TestDatabases.withPostgresDatabase { url in
            var withDatabase = settings
            withDatabase["GRAPHGATE_DATABASE_URL"] = url
            return try await body(try GraphGateConfig.load(environment: withDatabase))
        }
    }

    private static func runServer<R: Sendable>(
        config: GraphGateConfig, sandbox: SandboxConfiguration, _ body: @Sendable (TestServer) async throws -> R
    ) async throws -> R {
        let logger: Logger = {
            var logger = Logger(label: "test.server")
            logger.logLevel = .warning
            return logger
        }()
        let (running, continuation) = AsyncStream<Int>.makeStream()
        let (shutdown, requestShutdown) = AsyncStream<Void>.makeStream()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await GraphGateServer.run(
                    config: config, logger: logger, gracefulShutdownSignals: [], sandboxConfiguration: sandbox,
                    shutdownRequests: shutdown
                ) { port in continuation.yield(port) }
                return nil
            }
            var iterator = running.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The server ended before listening: surface its error.
                for try await _ in group {}
                throw StorageError.unavailable("server did not start")
            }
            let server = TestServer(config: config, baseURL: "http://127.0.0.1:\(port)", http: http)
            let result: R
            do {
                result = try await body(server)
            } catch {
                group.cancelAll()
                throw error
            }
            // Stop like SIGTERM does (drain, then close the store); cancel if that takes too long.
            requestShutdown.yield()
            requestShutdown.finish()
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return nil
            }
            _ = try await group.next()
            group.cancelAll()
            return result
        }
    }

    /// A loopback port free at the moment of asking, below the kernel's ephemeral range (Linux: from 32768), so no
    /// server of a parallel test (they bind port 0, which takes from that range) can be given it. For a port
    /// nothing should listen on, and for the metrics listener, which does not report the port it bound
    /// (`OpsMetricsTests.separatePort`); a server under test binds port 0 otherwise.
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_768)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw StorageError.unavailable("socket") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound == 0 { return port }
        }
        throw StorageError.unavailable("no free port below the ephemeral range")
    }
}

extension HTTPClient {
    /// GET/POST helper for tests: returns status, headers and the body as text.
    func fetch(
        _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), response.headers, String(buffer: buffer))
    }
}
