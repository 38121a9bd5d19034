import Logging
import Storage

/// Records a signed head of the audit chain: at start and every `interval`.
///
/// Each signed head is also written to the log at `notice` (seq, hash, MAC — none of them secret), so a copy of
/// the anchors lives outside the database, in whatever keeps the logs.
public struct AuditHeadSigner: Sendable {
    let store: any AuditStore
    let key: AuditSigningKey
    let logger: Logger

    public init(store: any AuditStore, key: AuditSigningKey, logger: Logger) {
        self.store = store
        self.key = key
        self.logger = logger
    }

    /// Signs the current head unless the newest signed head already covers it. Returns the head signed, if any.
    @discardableResult
    public func signNow(
        force: Bool = false, at now: Int64 = Timestamp.now
    ) async throws(StorageError)
        -> AuditSignedHead?
    {
        let head = try await store.head()
        if !force, let latest = try await store.signedHeads(limit: 1).first, latest.seq == head.seq,
            latest.hash == head.hash
        {
            return nil
        }
        let signed = AuditSignedHead(
            seq: head.seq, hash: head.hash, signedAt: now, keyId: key.id,
            mac: key.mac(seq: head.seq, hash: head.hash, signedAt: now))
        try await store.addSignedHead(signed)
        logger.notice(
            "audit head signed",
            metadata: [
                "gg.audit.seq": "\(signed.seq)", "gg.audit.hash": "\(signed.hash)", "gg.audit.mac": "\(signed.mac)",
                "gg.audit.key": "\(signed.keyId)",
            ])
        return signed
    }

    /// Signs at once, then every `interval`, until the task is cancelled. The server cancels it at graceful
    /// shutdown and then calls ``signFinal(timeout:)``.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await signNow()
            } catch {
                if Task.isCancelled { return }
                logger.error("could not sign the audit head", metadata: ["gg.error": "\(error.description)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The last signature of a run, at graceful shutdown: after the HTTP server has drained and before the store
    /// closes, so the newest signed head covers the last event written. Never throws and never holds the shutdown
    /// up for more than `timeout`: a store that is already gone (or hangs) is logged and left behind.
    @discardableResult
    public func signFinal(timeout: Duration = .seconds(5)) async -> AuditSignedHead? {
        enum Outcome: Sendable {
            case signed(AuditSignedHead?)
            case failed(StorageError)
            case timedOut
        }
        // Unstructured on purpose: a store call that ignores cancellation must not keep the shutdown waiting.
        let (outcomes, continuation) = AsyncStream<Outcome>.makeStream()
        let signing = Task {
            do throws(StorageError) {
                continuation.yield(.signed(try await signNow(force: false)))
            } catch {
                continuation.yield(.failed(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            continuation.yield(.timedOut)
        }
        var iterator = outcomes.makeAsyncIterator()
        let outcome = await iterator.next() ?? .timedOut
        continuation.finish()
        signing.cancel()
        timer.cancel()
        switch outcome {
        case .signed(let head):
            return head
        case .failed(let error):
            logger.warning(
                "could not sign the audit head at shutdown", metadata: ["gg.error": "\(error.description)"])
        case .timedOut:
            logger.warning("could not sign the audit head at shutdown: the store did not answer within \(timeout)")
        }
        return nil
    }
}
