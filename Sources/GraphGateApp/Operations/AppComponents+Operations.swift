import Authorization
import Foundation
import GraphGateSettings
import GraphGateWeb
import Hummingbird
import Logging
import Metrics
import MicrosoftGraph
import NIOCore
import Observability
import ServiceLifecycle
import Storage

extension AppComponents {
    /// Request ids, the request log line and HTTP metrics, and (for an https public URL) HSTS. Added first, so they
    /// wrap every route.
    func addOperationsMiddleware(to router: Router<GraphGateRequestContext>) {
        router.middlewares.add(RequestIDMiddleware())
        router.middlewares.add(RequestObserverMiddleware())
        if config.publicURL.scheme?.lowercased() == "https" { router.middlewares.add(HSTSMiddleware()) }
    }

    /// `/readyz` (database, keyring, Microsoft discovery through the vault's own identity client, so "cached"
    /// means the cache sign-in uses), and `/metrics` on the main port when a token protects it and no separate
    /// port is set.
    func addOperationsRoutes(to router: Router<GraphGateRequestContext>) {
        let vault = vault
        ReadinessRoutes(probes: [
            .database(database),
            .keyring { vault.envelope.keyring.keys.contains { $0.status == .primary } },
            .upstreamDiscovery(vault.identity),
        ]).add(to: router)
        if config.operations.metricsToken != nil && config.operations.metricsPort == nil {
            MetricsRoutes(token: config.operations.metricsToken).add(to: router)
        }
    }

    /// The background work of operations: the metrics sampler, retention, and the separate metrics listener.
    func operationsServices() -> [any Service] {
        let store = stores.operations
        Gauge(label: MetricName.info, dimensions: [("mode", config.modeName), ("store", database.backend.rawValue)])
            .record(1)
        var services: [any Service] = [
            MetricsSampler(database: database, store: store, interval: .seconds(15), logger: logger),
            RetentionService(
                store: store, auditRetentionDays: config.operations.auditRetentionDays,
                sessionRetentionDays: config.operations.sessionRetentionDays, interval: .seconds(3600), logger: logger),
        ]
        if let port = config.operations.metricsPort {
            services.append(
                MetricsListener(
                    inner: MetricsServer.make(
                        host: config.host, port: port, token: config.operations.metricsToken, logger: logger),
                    host: config.host, port: port))
        }
        return services
    }
}

/// The separate metrics listener, naming its own setting when its port is taken (the bare error was reported as
/// the main port's, after the main port had announced it was serving).
struct MetricsListener: Service {
    let inner: any Service
    let host: String
    let port: Int

    func run() async throws {
        do {
            try await inner.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServeError.metricsPortInUse(host: host, port: port)
        }
    }
}
