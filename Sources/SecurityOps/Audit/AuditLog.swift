import Foundation
import Logging
import Storage

/// The real `AuditRecorder`: redacts each event's details and appends it to the hash chain.
///
/// Concurrent `record` calls are group-committed: while one append is running, later events queue, and the
/// caller that finds no append running writes everything queued in one transaction. Each caller returns once
/// its own event is durable (or logged as lost at `critical`). No background task is needed.
public actor AuditLog: AuditRecorder {
    private let store: any AuditStore
    private let redactor: Redactor
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private var writing = false
    private var queued: [(AuditRow, CheckedContinuation<Void, Never>?)] = []

    public init(
        store: any AuditStore, redactor: Redactor = .standard, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Timestamp.now }
    ) {
        self.store = store
        self.redactor = redactor
        self.logger = logger
        self.clock = clock
    }

    public func record(_ event: AuditEvent) async {
        let row = makeRow(event)
        if writing {
            await withCheckedContinuation { queued.append((row, $0)) }
            return
        }
        writing = true
        var batch: [(AuditRow, CheckedContinuation<Void, Never>?)] = [(row, nil)]
        while !batch.isEmpty {
            do {
                let written = try await store.append(batch.map(\.0)) { AuditChain.hash(previous: $0, row: $1) }
                SecurityMetrics.audited(written)
            } catch {
                logger.critical(
                    "audit events could not be written",
                    metadata: ["gg.error": "\(error.description)", "gg.count": "\(batch.count)"])
            }
            for (_, continuation) in batch { continuation?.resume() }
            batch = queued
            queued = []
        }
        writing = false
    }

    /// The row for an event (seq and hash still empty), as `record` would write it: for batch tools and benchmarks.
    public nonisolated func makeRowNonisolated(_ event: AuditEvent) -> AuditRow { makeRow(event) }

    /// The row for an event, with every free-text field passed through the redactor.
    nonisolated func makeRow(_ event: AuditEvent) -> AuditRow {
        var details: [String: String] = [:]
        for (key, value) in event.details { details[redactor.redact(key)] = redactor.redact(detail: value, key: key) }
        return AuditRow(
            seq: 0, at: clock(), eventType: redactor.redact(event.type), outcome: event.outcome.rawValue,
            userId: event.userId, clientId: event.clientId.map { redactor.redact($0) }, sourceIP: event.sourceIP,
            details: AuditChain.canonicalDetails(details), hash: "")
    }
}
