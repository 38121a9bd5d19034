import Logging
import Metrics
import ServiceLifecycle
import Storage

/// Prunes what is past its retention: expired/revoked sessions, tokens, codes and pending sign-ins after
/// `GRAPHGATE_SESSION_RETENTION_DAYS`, audit rows after `GRAPHGATE_AUDIT_RETENTION_DAYS` (0 keeps them). Runs at
/// start and then every `interval`; several instances may run it at once (each step is one transaction).
package struct RetentionService: Service {
    let store: any OperationsStore
    let auditRetentionDays: Int
    let sessionRetentionDays: Int
    let interval: Duration
    let logger: Logger

    package init(
        store: any OperationsStore, auditRetentionDays: Int, sessionRetentionDays: Int, interval: Duration,
        logger: Logger
    ) {
        self.store = store
        self.auditRetentionDays = auditRetentionDays
        self.sessionRetentionDays = sessionRetentionDays
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await pruneOnce(now: Timestamp.now)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass. Returns rows removed per table (`audit_log` included), for tests and the log line.
    @discardableResult
    package func pruneOnce(now: Int64) async -> [String: Int] {
        var removed: [String: Int] = [:]
        do {
            removed = try await store.pruneExpired(before: now - Int64(sessionRetentionDays) * 86_400)
            if auditRetentionDays > 0 {
                let cutoff = now - Int64(auditRetentionDays) * 86_400
                var total = 0
                while true {
                    let batch = try await store.pruneAudit(before: cutoff, batch: 5_000)
                    total += batch
                    if batch < 5_000 { break }
                }
                removed["audit_log"] = total
            }
        } catch {
            logger.warning("retention pass failed", metadata: ["gg.error": "\(error)"])
        }
        for (table, count) in removed where count > 0 {
            Counter(label: MetricName.retentionPruned, dimensions: [("table", table)]).increment(by: count)
        }
        if removed.values.contains(where: { $0 > 0 }) {
            logger.info(
                "retention pruned rows",
                metadata: ["gg.pruned": .dictionary(removed.mapValues { .stringConvertible($0) })])
        }
        return removed
    }
}
