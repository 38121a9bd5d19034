import AsyncHTTPClient
import GraphGateSettings
import GraphGateWeb
import Hummingbird
import Logging
import MCPGateway
import MicrosoftGraph
import Sandbox
import ServiceLifecycle
import Storage
import TokenVault

/// The composition root of the server: builds every store and service once, hands each route group only what it
/// uses, and returns the application. The store (and, in sandbox mode, the emulated tenant) are the
/// application's own services; before its server takes requests it waits for the tenant to listen, checks and
/// migrates the store, and only then starts the background services that touch the store.
func buildApplication(
    config: GraphGateConfig, database: Database, keyring: Keyring, httpClient: HTTPClient, sandbox: SandboxTenant?,
    logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void
) async throws -> some ApplicationProtocol {
    let microsoft = MicrosoftEndpoints(authority: config.msAuthority, graph: config.graphURL)
    let tenant = sandbox != nil ? SandboxConfiguration.tenantId : config.msTenant
    let stores = Stores(database: database)
    let security: SecurityServices
    do {
        security = try SecurityServices(
            config: config, users: stores.users, auditStore: stores.audit, alerts: stores.alerts,
            sharedBuckets: database.backend == .postgres ? stores.rateLimits : nil, httpClient: httpClient,
            logger: logger, accessChanges: stores.accessChanges)
    } catch {
        throw ServeError.storage(error.description)
    }
    let components = AppComponents(
        config: config, logger: logger, database: database, stores: stores, httpClient: httpClient,
        microsoft: microsoft, security: security,
        vault: TokenVault(
            users: stores.users, blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: keyring,
            identity: IdentityClient(
                httpClient: httpClient, endpoints: microsoft, tenant: tenant,
                clientId: sandbox != nil ? SandboxConfiguration.clientId : config.msClientId ?? "",
                clientSecret: sandbox != nil ? SandboxConfiguration.clientSecret : config.msClientSecret,
                logger: logger),
            audit: security.recorder, logger: logger, publicURL: config.publicURL,
            admit: { [policy = config.operations.accessPolicy(effectiveTenant: tenant), stores] claims in
                await config.admits(
                    tenantId: claims.tenantId, objectId: claims.objectId, username: claims.username,
                    policy: policy, bindings: stores.usernameBindings)
            }, accessChanges: stores.accessChanges),
        sendConfirmations: SendConfirmations(publicURL: config.publicURL))
    let readiness = StoreReadiness()
    // The store first, so it stops last (after the server drained and every other service stopped).
    var app = try buildApplication(
        components, ownedServices: [database] + (sandbox.map { [$0] } ?? []), readiness: readiness,
        onRunning: onRunning)
    app.beforeServerStarts {
        if let sandbox {
            let url = try await sandbox.waitUntilRunning()
            microsoft.moveTo(authority: url, graph: url)
            logger.info("sandbox mode: emulated Microsoft tenant at \(url.absoluteString)")
        }
        try await database.checkReachable()
        try await Migrator(database: database).migrate(logger: logger)
        readiness.markReady()
    }
    return app
}

/// The HTTP application over `components`: middleware, every route group, and the background services they need
/// (started once `readiness` says the store is migrated) after `ownedServices` (which stop last, in reverse).
func buildApplication(
    _ components: AppComponents, ownedServices: [any Service], readiness: StoreReadiness,
    onRunning: @escaping @Sendable (Int) async -> Void
) throws -> Application<RouterResponder<GraphGateRequestContext>> {
    let router = Router(context: GraphGateRequestContext.self)
    let config = components.config
    let stores = components.stores
    let recorder = components.security.recorder
    components.addOperationsMiddleware(to: router)
    components.addSecurityMiddleware(to: router)
    router.middlewares.add(SecurityHeadersMiddleware(https: config.publicURL.scheme == "https"))
    HealthRoutes(mode: config.modeName, store: components.database.backend).add(to: router)
    let access = components.makeMCPAccess()
    access.addRoutes(to: router)
    components.addOperationsRoutes(to: router)
    // Each page group gets only the stores and services it uses.
    WebRoutes(config: config, users: stores.users, browser: access.authorization.sessions).add(to: router)
    AdminRoutes(
        config: config, users: stores.users, bindings: stores.usernameBindings, alerts: stores.alerts,
        auditLog: stores.audit, audit: recorder,
        keys: KeyMaintenance(
            blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: components.vault.envelope.keyring,
            audit: recorder, logger: components.logger),
        incidents: components.security.incidents(
            revoker: access, eraser: VaultTokenEraser(users: stores.users, blobs: stores.tokenBlobs), lister: access),
        authorization: access.authorization
    ).add(to: router)
    AccountPageRoutes(
        config: config, users: stores.users, accountData: stores.accountData, auditLog: stores.audit, audit: recorder,
        vault: components.vault, authorization: access.authorization, mcpSessions: access.sessions
    ).add(to: router)
    SendConfirmationRoutes(
        users: stores.users, confirmations: components.sendConfirmations, browser: access.authorization.sessions,
        audit: recorder
    ).add(to: router)

    var services: [any Service] = []
    services += components.operationsServices()
    services += components.security.services()
    services += access.services
    return Application(
        router: router,
        server: try TransportSecurity.serverBuilder(config.operations, limits: config.limits),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
        services: ownedServices + services.map(readiness.gate),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? config.port) },
        logger: components.logger
    )
}
