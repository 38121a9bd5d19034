import AsyncHTTPClient
import Foundation
import GraphGateSettings
import Logging
import MCPGateway
import MicrosoftGraph
import NIOCore
import Observability
import Sandbox
import ServiceLifecycle
import Storage
import TokenVault
import UnixSignals

/// Starts graphgate: one Hummingbird application that owns the store and, in sandbox mode, the emulated tenant as
/// its services, migrates before its server takes requests, and drains in-flight requests, then stops its
/// services in reverse order (the store last) on SIGTERM/SIGINT.
public enum GraphGateServer {
    /// Runs until SIGTERM/SIGINT (or `gracefulShutdownSignals` is empty and the task is cancelled).
    /// `onRunning` is called with the bound port once the HTTP server listens.
    public static func run(
        config: GraphGateConfig, logger: Logger, gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        sandboxConfiguration: SandboxConfiguration = SandboxConfiguration(),
        shutdownRequests: AsyncStream<Void>? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try OperationsConfig.checkStartupRules(config)
        if let problem = ToolCatalogue.unmatchedPatternsProblem(config.tools) {
            throw ConfigError(GraphGateConfig.tools.name, problem)
        }
        GraphGateMetrics.bootstrap()
        // Production refuses to start without a keyring; sandbox generates one in the data directory.
        let keyring: Keyring
        do {
            keyring = try KeyringSource.resolve(
                path: config.keyringPath, environmentValue: config.keyringKey, sandbox: config.sandbox,
                dataDirectory: config.dataDirectory, logger: logger)
        } catch {
            throw ServeError.keyring(error.description)
        }
        let database: Database
        do {
            database = try await Database.open(config.database, logger: logger)
        } catch {
            throw ServeError.storage(error.description)
        }
        // 64 connections per host, not AsyncHTTPClient's 8: every person's calls to Graph share the one host.
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .microsoft(connectionsPerHost: 64))
        var failure: (any Error)?
        do {
            let app = try await buildApplication(
                config: config, database: database, keyring: keyring, httpClient: httpClient,
                sandbox: config.sandbox ? SandboxTenant(configuration: sandboxConfiguration, logger: logger) : nil,
                logger: logger, onRunning: onRunning)
            let group = ServiceGroup(
                configuration: .init(
                    services: [app], gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
            try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return true
                }
                if let shutdownRequests {
                    // Graceful shutdown as SIGTERM does it (the server drains, then the services stop).
                    tasks.addTask {
                        for await _ in shutdownRequests { break }
                        if !Task.isCancelled { await group.triggerGracefulShutdown() }
                        return false
                    }
                }
                // Done when the service group is done (the shutdown waiter ends by itself or by cancellation).
                while let groupFinished = try await tasks.next() {
                    if groupFinished { break }
                }
                tasks.cancelAll()
            }
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            failure = ServeError.portInUse(host: config.host, port: config.port)
        } catch let error as IOError {
            failure = ServeError.cannotListen(host: config.host, port: config.port, reason: error.description)
        } catch {
            failure = error
        }
        try? await httpClient.shutdown()
        await database.close()  // the store's service closes it at shutdown; this covers a failed start
        if let failure { throw failure }
    }

    /// Applies pending migrations (the `migrate` command). Returns the ids applied.
    public static func migrate(config: GraphGateConfig, logger: Logger) async throws -> [String] {
        let database = try await Database.open(config.database, logger: logger)
        return try await database.withRunning {
            try await database.checkReachable()
            return try await Migrator(database: database).migrate(logger: logger)
        }
    }
}
