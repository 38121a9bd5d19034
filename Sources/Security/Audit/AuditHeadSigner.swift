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

    /// Signs at once, then every `interval`, until the task is cancelled. (No last signature at shutdown: the
    /// store may already be closing then; `audit sign-head` signs on demand.)
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
}
