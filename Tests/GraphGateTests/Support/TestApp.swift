import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Sandbox
import Storage
import TokenVault

@testable import GraphGateApp
@testable import GraphGateSettings

/// The real application (the same composition root `graphgate serve` uses, its services and its
/// `beforeServerStarts` step included) driven in process through Hummingbird's router test client: no listening
/// socket, so no port to pick. The emulated tenant listens on a port the kernel picks.
///
/// Use it where the socket is not the point; ``TestServer`` where it is (TLS, header limits, slow clients, the
/// OAuth flow a browser follows).
enum TestApp {
    static func with<R: Sendable>(
        environment: [String: String] = [:], backend: Database.Backend = .sqlite,
        _ body: @escaping @Sendable (any TestClientProtocol, GraphGateConfig) async throws -> R
    ) async throws -> R {
        try await TestServer.withConfig(environment: environment, backend: backend) { config in
            var logger = Logger(label: "test.app")
            logger.logLevel = .warning
            let keyring = try KeyringSource.resolve(
                path: config.keyringPath, environmentValue: config.keyringKey, sandbox: config.sandbox,
                dataDirectory: config.dataDirectory, logger: logger)
            let database = try await Database.open(config.database, logger: logger)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let app = try await buildApplication(
                    config: config, database: database, keyring: keyring, httpClient: http,
                    sandbox: config.sandbox ? SandboxTenant(logger: logger) : nil, logger: logger, onRunning: { _ in })
                let result = try await app.test(.router) { client in try await body(client, config) }
                try? await http.shutdown()
                await database.close()
                return result
            } catch {
                try? await http.shutdown()
                await database.close()
                throw error
            }
        }
    }
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
