import AsyncHTTPClient
import Foundation
import GraphGateSettings
import Logging
import SecurityOps
import ServiceLifecycle
import Storage

/// The security-operations parts, built once at start: the audit log (the real `AuditRecorder`), head signing,
/// rate limiting, client-address resolution, the monitor with its webhook, and the redactor.
public struct SecurityServices: Sendable {
    public let audit: AuditLog
    public let signingKey: AuditSigningKey
    public let signer: AuditHeadSigner
    public let rateLimiter: any RateLimiter
    public let rateLimits: RateLimitPolicy
    public let addresses: ClientAddressResolver
    public let monitor: SecurityMonitor
    public let webhook: AlertWebhook?
    public let redactor: Redactor
    /// The shared bucket table (PostgreSQL), pruned in the background; nil with in-memory buckets.
    let bucketStore: (any RateLimitStore)?
    public let users: any UserStore
    /// Every block in force, by subject (`ip:…`, `user:…`), from memory: the per-request checks read nothing in
    /// the steady state, not even for an address never seen before; a block or unblock anywhere drops the copy
    /// (nil: every check reads).
    let blocks: AccessChangeSnapshot<[String: Block]>?
    let signInterval: Duration
    let logger: Logger

    /// - Parameters:
    ///   - sharedBuckets: the bucket table every instance shares (the root passes it on PostgreSQL); nil keeps
    ///     buckets in this process's memory.
    ///   - rateLimiter: overrides both.
    ///   - accessChanges: the process's watch on the revocation epoch, for the block cache (nil: no cache).
    public init(
        config: GraphGateConfig, users: any UserStore, auditStore: any AuditStore, alerts: any AlertStore,
        sharedBuckets: (any RateLimitStore)?, httpClient: HTTPClient, logger: Logger,
        rateLimiter: (any RateLimiter)? = nil, accessChanges: AccessChanges? = nil
    ) throws(SecurityError) {
        self.users = users
        blocks = accessChanges.map { changes in
            AccessChangeSnapshot(changes: changes) {
                Dictionary(try await users.activeBlocks().map { ($0.subject, $0) }) { _, newer in newer }
            }
        }
        self.logger = logger
        redactor = Redactor.standard.adding(secrets: [config.msClientSecret].compactMap { $0 })
        audit = AuditLog(store: auditStore, redactor: redactor, logger: logger, writeBehind: true)
        signingKey = try Self.signingKey(config: config, create: true)
        signer = AuditHeadSigner(store: auditStore, key: signingKey, logger: logger)
        signInterval = config.security.auditSignInterval
        rateLimits = try config.limits.rateLimitPolicy(toolCallsPerMinute: config.rateLimitPerMinute)
        bucketStore = rateLimiter == nil ? sharedBuckets : nil
        self.rateLimiter =
            rateLimiter
            ?? (bucketStore.map { SharedRateLimiter(store: $0, logger: logger) } ?? InMemoryRateLimiter())
        addresses = try ClientAddressResolver(trustedProxies: config.operations.trustedProxies)
        webhook = config.security.alertWebhook.map { AlertWebhook(url: $0, httpClient: httpClient, logger: logger) }
        monitor = SecurityMonitor(
            store: alerts, users: users, audit: audit, webhook: webhook,
            rules: config.security.rules, logger: logger)
    }

    /// What the rest of the app records audit events through: the audit log, plus monitor signals for the
    /// security-relevant events (failed authentication, cross-user attempts, refresh/decrypt failures, sends).
    public var recorder: any AuditRecorder { MonitoringAuditRecorder(audit: audit, monitor: monitor) }

    /// The audit signing key: `GRAPHGATE_AUDIT_KEY`, else `audit-signing.key` in the data directory.
    public static func signingKey(config: GraphGateConfig, create: Bool) throws(SecurityError) -> AuditSigningKey {
        let path =
            config.security.auditKeyPath
            ?? URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("audit-signing.key").path
        return try AuditSigningKey.load(path: path, create: create)
    }

    /// Background work: signing the audit head (also at graceful shutdown), delivering alerts, pruning old
    /// counters, and (last, so it stops first) draining the audit queue at graceful shutdown.
    public func services() -> [any Service] {
        var services: [any Service] = [
            AuditHeadSigningService(signer: signer, interval: signInterval),
            BackgroundLoop(name: "security-monitor-prune") { [monitor] in
                while !Task.isCancelled {
                    await monitor.prune()
                    try? await Task.sleep(for: .seconds(3600))
                }
            },
        ]
        if let webhook { services.append(BackgroundLoop(name: "alert-webhook") { await webhook.run() }) }
        if let store = bucketStore {
            // Shared buckets untouched for longer than the longest budget's period are full again: delete them,
            // so the table stays as small as the set of recently active keys.
            let horizonMs = rateLimits.longestPeriodMs
            services.append(
                BackgroundLoop(name: "rate-bucket-prune") {
                    while !Task.isCancelled {
                        let now = Int64(Date().timeIntervalSince1970 * 1000)
                        _ = try? await store.prune(beforeMs: now - horizonMs)
                        try? await Task.sleep(for: .seconds(600))
                    }
                })
        }
        services.append(AuditFlushService(audit: audit))
        return services
    }

    /// The incident actions, composed with whatever revokes our access and erases Microsoft's tokens.
    public func incidents(
        revoker: (any AccessRevoker)?, eraser: (any MicrosoftTokenEraser)?, lister: (any SessionLister)?
    ) -> IncidentResponder {
        IncidentResponder(users: users, audit: audit, revoker: revoker, eraser: eraser, lister: lister, logger: logger)
    }
}

/// A `Service` that runs `body` until graceful shutdown cancels it.
struct BackgroundLoop: Service {
    let name: String
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}
