import SQLKit
import Synchronization

/// What a cache of access decisions watches to learn it may be stale (``AccessChanges``). Every store write that
/// takes access away or gives it back (token or grant revoked; user blocked, unblocked or erased; a linked account
/// linked, re-consented, marked for sign-in or removed) bumps two counters:
/// - the shared epoch, the `revocation_epoch` row, in the same transaction as the write, whichever instance or
///   command-line tool wrote it; other instances poll it;
/// - the local count, in this process, after the write returned, so a cache here can drop its entries at once.
public protocol RevocationEpochStore: Sendable {
    /// The shared epoch (one indexed row read).
    func revocationEpoch() async throws(StorageError) -> Int64
    /// Revocations this process wrote (an atomic load, no I/O).
    var localRevocations: UInt64 { get }
}

extension SQLOAuthStore: RevocationEpochStore {
    public func revocationEpoch() async throws(StorageError) -> Int64 {
        try await database.read { db in
            try await db.raw("SELECT value FROM revocation_epoch WHERE id = 'main'").first()?
                .decode(column: "value", as: Int64.self) ?? 0
        }
    }

    public var localRevocations: UInt64 { RevocationEpoch.localCounter.load(ordering: .acquiring) }
}

/// The two counters' writers, for the stores that revoke or block.
enum RevocationEpoch {
    /// Revocations written by this process, whatever the database (a second one only costs a cache refill).
    static let localCounter = Atomic<UInt64>(0)

    /// Runs `body` in one transaction that also bumps the shared epoch, then tells this process: for writes that
    /// always change access (block, unblock, erase, revoke a token).
    static func changingAccess<R: Sendable>(
        _ database: Database, _ body: @Sendable @escaping (any SQLDatabase) async throws -> R
    ) async throws(StorageError) -> R {
        let result = try await database.transaction { db in
            let result = try await body(db)
            try await bump(db)
            return result
        }
        noteLocal()
        return result
    }

    /// Bumps the shared epoch; call inside the transaction that revokes or blocks, then `noteLocal()` after it.
    static func bump(_ db: any SQLDatabase) async throws {
        try await db.raw("UPDATE revocation_epoch SET value = value + 1 WHERE id = 'main'").run()
    }

    /// Tells this process's caches that access changed; after the write returned, so a refill sees it.
    static func noteLocal() {
        localCounter.add(1, ordering: .releasing)
    }
}
