import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the HTTP application: middleware, every route group, and the background services they need.
func buildApplication(
    _ components: AppComponents, onRunning: @escaping @Sendable (Int) async -> Void
) async throws -> some ApplicationProtocol {
    let router = Router(context: GraphGateRequestContext.self)
    router.middlewares.add(RequestLoggerMiddleware())
    HealthRoutes(components: components).add(to: router)

    let services: [any Service] = []
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(components.config.host, port: components.config.port),
            serverName: nil),
        services: services,
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? components.config.port) },
        logger: components.logger
    )
}
