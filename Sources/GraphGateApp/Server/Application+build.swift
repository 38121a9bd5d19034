import Hummingbird
import Logging
import ServiceLifecycle
import TokenVault

/// Builds the HTTP application: middleware, every route group, and the background services they need.
func buildApplication(
    _ components: AppComponents, onRunning: @escaping @Sendable (Int) async -> Void
) async throws -> some ApplicationProtocol {
    let router = Router(context: GraphGateRequestContext.self)
    let config = components.config
    let stores = components.stores
    let recorder = components.security.recorder
    components.addOperationsMiddleware(to: router)
    router.middlewares.add(RequestLoggerMiddleware())
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
        config: config, users: stores.users, accountData: stores.accountData, auditLog: stores.audit,
        vault: components.vault, access: access
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
        services: services,
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? config.port) },
        logger: components.logger
    )
}
