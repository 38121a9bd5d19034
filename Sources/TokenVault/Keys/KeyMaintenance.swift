import Foundation
import Logging
import SecurityOps
import Storage

/// Operator work on stored envelopes: which keys they use, and re-encrypting them under the primary key.
public struct KeyMaintenance: Sendable {
    let blobs: any TokenBlobStore
    let pending: any PendingSignInStore
    let sealer: TokenSealer
    let audit: any AuditRecorder
    let logger: Logger

    public init(
        blobs: any TokenBlobStore, pending: any PendingSignInStore, keyring: Keyring, audit: any AuditRecorder,
        logger: Logger
    ) {
        self.blobs = blobs
        self.pending = pending
        self.sealer = TokenSealer(envelope: TokenEnvelope(keyring: keyring))
        self.audit = audit
        self.logger = logger
    }

    public var keyring: Keyring { sealer.envelope.keyring }

    /// Stored envelopes per key id: token blobs and pending sign-in verifiers.
    public struct Usage: Sendable, Equatable {
        public var tokens: Int
        public var pendingSignIns: Int
        public var total: Int { tokens + pendingSignIns }

        public init(tokens: Int, pendingSignIns: Int) {
            self.tokens = tokens
            self.pendingSignIns = pendingSignIns
        }
    }

    public func usage() async throws(VaultError) -> [UInt32: Usage] {
        do {
            var result: [UInt32: Usage] = [:]
            for (id, count) in try await blobs.keyUsage() {
                result[UInt32(truncatingIfNeeded: id), default: Usage(tokens: 0, pendingSignIns: 0)].tokens += count
            }
            for (id, count) in try await pending.keyUsage() {
                result[UInt32(truncatingIfNeeded: id), default: Usage(tokens: 0, pendingSignIns: 0)].pendingSignIns +=
                    count
            }
            return result
        } catch {
            throw .storage(error)
        }
    }

    /// Counts of a rewrap run.
    public struct RewrapReport: Sendable, Equatable, CustomStringConvertible {
        public var batches = 0
        /// Envelopes found under a non-primary key.
        public var scanned = 0
        /// Re-encrypted under the primary.
        public var rewrapped = 0
        /// Changed by a concurrent refresh meanwhile (already under the primary).
        public var skipped = 0
        /// Could not be opened (disabled/unknown key, tampered): left as they are, audited.
        public var failed = 0
        /// Expired pending sign-ins deleted instead of rewrapped.
        public var expiredPendingDeleted = 0

        public var description: String {
            "rewrapped \(rewrapped) of \(scanned) (skipped \(skipped) changed meanwhile, failed \(failed), "
                + "deleted \(expiredPendingDeleted) expired sign-ins) in \(batches) batch(es)"
        }
    }

    /// Re-encrypts every envelope not under the primary key, `batchSize` at a time, each row compare-and-swapped
    /// so a concurrent refresh is never overwritten. Plaintext exists only in memory, one token at a time.
    /// Interrupted runs resume: a new run finds what is still under old keys.
    public func rewrap(
        batchSize: Int = 500, progress: @Sendable (RewrapReport) async -> Void = { _ in }
    )
        async throws(VaultError) -> RewrapReport
    {
        let primary = Int64(keyring.primary.id)
        var report = RewrapReport()
        do {
            report.expiredPendingDeleted = try await pending.deleteExpired(now: Timestamp.now)
            var cursor: TokenBlobCursor?
            while true {
                let batch = try await blobs.blobs(notSealedWith: primary, after: cursor, limit: max(1, batchSize))
                guard let last = batch.last else { break }
                cursor = TokenBlobCursor(last)
                report.batches += 1
                for blob in batch {
                    report.scanned += 1
                    let plaintext: String
                    do {
                        plaintext = try await sealer.open(blob, audit: audit, logger: logger)
                    } catch {
                        report.failed += 1
                        continue
                    }
                    let sealed = try sealer.envelope.seal(plaintext, for: sealer.binding(blob))
                    var replacement = blob
                    replacement.keyId = Int64(sealed.keyId)
                    replacement.blob = sealed.blob
                    if try await blobs.replace(blob, with: replacement) {
                        report.rewrapped += 1
                    } else {
                        report.skipped += 1
                    }
                }
                await progress(report)
            }
            for item in try await pending.pending(notSealedWith: primary, limit: 10_000) {
                report.scanned += 1
                let binding = TokenVault.verifierBinding(stateHash: item.stateHash)
                guard let verifier = try? sealer.envelope.open(item.verifierBlob, for: binding) else {
                    report.failed += 1
                    continue
                }
                let sealed = try sealer.envelope.seal(verifier, for: binding)
                if try await pending.replaceVerifier(item, keyId: Int64(sealed.keyId), blob: sealed.blob) {
                    report.rewrapped += 1
                } else {
                    report.skipped += 1
                }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw .storage(StorageError.from(error))
        }
        await audit.record(
            AuditEvent(
                "keys.rewrap", outcome: report.failed == 0 ? .success : .failure,
                details: [
                    "primary": "\(primary)", "scanned": "\(report.scanned)", "rewrapped": "\(report.rewrapped)",
                    "skipped": "\(report.skipped)", "failed": "\(report.failed)",
                ]))
        logger.info("rewrap finished", metadata: ["gg.report": "\(report)"])
        return report
    }
}
