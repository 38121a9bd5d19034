import Foundation
import Logging
import Storage

/// The real `AuditRecorder`: redacts each event's details and appends it to the hash chain through one writer.
///
/// Rows go into a bounded queue in the order `record` is called; one writer task drains it, a batch (group
/// commit) per transaction, so rows keep their order and the chain stays linear. Two modes:
/// - **write-behind** (the server): `record` returns once the row is queued, so the audit append is off the
///   response path. The writer gathers rows for ``gatherWindow`` (20 ms) after the first one arrives, then writes
///   them in one transaction, so at most the gathering window plus the batch being written and what arrived
///   meanwhile (milliseconds; well under 100 ms) is lost to a `kill -9`. Gathering turns a transaction per call
///   into one per few calls under load. On graceful shutdown `AuditFlushService` waits for the queue to drain.
/// - **durable** (command-line tools, desktop): `record` returns once its row is written.
///
/// The queue holds at most `capacity` rows: when it is full, `record` waits for room (rows are never dropped for
/// being too many). A batch the store refuses is logged at `critical` with its size and not retried.
public actor AuditLog: AuditRecorder {
    private let store: any AuditStore
    private let redactor: Redactor
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let writeBehind: Bool
    private let capacity: Int
    private let batchLimit: Int
    /// How long the write-behind writer waits for more rows after the first one before it writes.
    public static let gatherWindow: Duration = .milliseconds(20)
    private var queued: [AuditRow] = []
    private var writing = false
    /// Rows ever queued and rows ever handled (written or logged as lost); a waiter waits for `handled >= target`.
    private var enqueued = 0
    private var handled = 0
    private var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameters:
    ///   - writeBehind: return from `record` once the row is queued (the server); false: once it is written.
    ///   - capacity: the most rows queued at once; `record` waits for room beyond it.
    ///   - batchLimit: the most rows written in one transaction.
    public init(
        store: any AuditStore, redactor: Redactor = .standard, logger: Logger, writeBehind: Bool = false,
        capacity: Int = 10_000, batchLimit: Int = 1_000, clock: @escaping @Sendable () -> Int64 = { Timestamp.now }
    ) {
        self.store = store
        self.redactor = redactor
        self.logger = logger
        self.writeBehind = writeBehind
        self.capacity = max(1, capacity)
        self.batchLimit = max(1, batchLimit)
        self.clock = clock
    }

    /// Redacts in the caller's task (concurrently), then queues on the actor.
    public nonisolated func record(_ event: AuditEvent) async {
        await enqueue(makeRow(event))
    }

    private func enqueue(_ row: AuditRow) async {
        while queued.count >= capacity {
            await withCheckedContinuation { roomWaiters.append($0) }
        }
        queued.append(row)
        enqueued += 1
        let target = enqueued
        startWriter()
        if !writeBehind { await waitUntilHandled(target) }
    }

    /// Returns once every row queued before the call has been written (or logged as lost).
    public func flush() async {
        await waitUntilHandled(enqueued)
    }

    /// Rows queued and not yet written.
    public var backlog: Int { enqueued - handled }

    private func waitUntilHandled(_ target: Int) async {
        guard handled < target else { return }
        await withCheckedContinuation { waiters.append((target, $0)) }
    }

    private func startWriter() {
        guard !writing else { return }
        writing = true
        Task { await self.drain() }
    }

    /// The one writer: takes batches off the front of the queue until it is empty.
    private func drain() async {
        if writeBehind { try? await Task.sleep(for: Self.gatherWindow) }
        while !queued.isEmpty {
            let count = min(queued.count, batchLimit)
            let batch = Array(queued.prefix(count))
            queued.removeFirst(count)
            wakeRoomWaiters()
            do {
                let written = try await store.append(batch) { AuditChain.hash(previous: $0, row: $1) }
                SecurityMetrics.audited(written)
            } catch {
                logger.critical(
                    "audit events could not be written",
                    metadata: ["gg.error": "\(error.description)", "gg.count": "\(batch.count)"])
            }
            handled += count
            wakeWaiters()
        }
        writing = false
    }

    private func wakeRoomWaiters() {
        let room = min(capacity - queued.count, roomWaiters.count)
        guard room > 0 else { return }
        let woken = roomWaiters.prefix(room)
        roomWaiters.removeFirst(room)
        for continuation in woken { continuation.resume() }
    }

    private func wakeWaiters() {
        var still: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiters {
            if waiter.target <= handled { waiter.continuation.resume() } else { still.append(waiter) }
        }
        waiters = still
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
