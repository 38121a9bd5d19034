import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MCPGateway
import MicrosoftGraph
import NIOCore
import NIOPosix
import Sandbox
import ServiceLifecycle
import Storage
import TokenVault
import UnixSignals

/// Starts graphgate: the store, the emulated tenant in sandbox mode, and the HTTP application, as one
/// `ServiceGroup` that drains in-flight requests and closes the database on SIGTERM/SIGINT.
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
        let sandbox = config.sandbox ? SandboxTenant(configuration: sandboxConfiguration, logger: logger) : nil
        let main = MainService(
            config: config, database: database, sandbox: sandbox, keyring: keyring, logger: logger,
            onRunning: onRunning)
        var services: [any Service] = [database]
        if let sandbox { services.append(sandbox) }
        services.append(main)
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: gracefulShutdownSignals,
                logger: logger))
        do {
            try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return true
                }
                if let shutdownRequests {
                    // Graceful shutdown in reverse start order (app, then tenant, then store), as SIGTERM does.
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
        } catch {
            await database.close()
            throw error
        }
        await database.close()
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

/// Waits for the store (and the emulated tenant), migrates, builds the components and runs the HTTP app.
private struct MainService: Service {
    let config: GraphGateConfig
    let database: Database
    let sandbox: SandboxTenant?
    let keyring: Keyring
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    func run() async throws {
        try await database.checkReachable()
        try await Migrator(database: database).migrate(logger: logger)

        var authority = config.msAuthority
        var graphURL = config.graphURL
        var clientId = config.msClientId ?? ""
        var clientSecret = config.msClientSecret
        var tenant = config.msTenant
        if let sandbox {
            let url = try await sandbox.waitUntilRunning()
            authority = url
            graphURL = url
            clientId = SandboxConfiguration.clientId
            clientSecret = SandboxConfiguration.clientSecret
            tenant = SandboxConfiguration.tenantId
            logger.info("sandbox mode: emulated Microsoft tenant at \(url.absoluteString)")
        }
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(60))))
        let stores = Stores(database: database)
        let users = stores.users
        let security: SecurityServices
        do {
            security = try SecurityServices(
                config: config, users: users, auditStore: stores.audit, alerts: stores.alerts,
                sharedBuckets: database.backend == .postgres ? stores.rateLimits : nil, httpClient: httpClient,
                logger: logger, accessChanges: stores.accessChanges)
        } catch {
            try? await httpClient.shutdown()
            throw ServeError.storage(error.description)
        }
        let components = AppComponents(
            config: config, logger: logger, database: database, stores: stores,
            httpClient: httpClient, msAuthority: authority, graphURL: graphURL, msClientId: clientId,
            msClientSecret: clientSecret, msTenant: tenant, security: security,
            vault: TokenVault(
                users: users, blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: keyring,
                identity: IdentityClient(
                    httpClient: httpClient, authority: authority, tenant: tenant, clientId: clientId,
                    clientSecret: clientSecret, logger: logger),
                audit: security.recorder, logger: logger, publicURL: config.publicURL,
                admit: { [policy = config.operations.accessPolicy(effectiveTenant: tenant), stores] claims in
                    await config.admits(
                        tenantId: claims.tenantId, objectId: claims.objectId, username: claims.username,
                        policy: policy, bindings: stores.usernameBindings)
                }, accessChanges: stores.accessChanges),
            sendConfirmations: SendConfirmations(publicURL: config.publicURL))
        do {
            let app = try await buildApplication(components, onRunning: onRunning)
            try await app.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            try? await httpClient.shutdown()
            throw ServeError.portInUse(host: config.host, port: config.port)
        } catch let error as IOError {
            try? await httpClient.shutdown()
            throw ServeError.cannotListen(host: config.host, port: config.port, reason: error.description)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try? await httpClient.shutdown()
    }
}
