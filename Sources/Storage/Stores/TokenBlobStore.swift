import Foundation
import SQLKit

/// Encrypted Microsoft tokens per linked account, and the refresh lease that keeps instances from refreshing the
/// same account at once.
public protocol TokenBlobStore: Sendable {
    /// Both kinds of the account (missing ones are absent).
    func blobs(accountId: String) async throws(StorageError) -> [TokenBlob]
    /// Inserts or replaces the given blobs in one transaction (a sign-in stores refresh + access together).
    func save(_ blobs: [TokenBlob]) async throws(StorageError)
    /// Saves the blobs of a refresh and releases the lease in one transaction, only if `leaseOwner` still holds the
    /// lease. Returns false (and saves nothing) when the lease was lost to another instance.
    func saveRefreshed(_ blobs: [TokenBlob], accountId: String, leaseOwner: String) async throws(StorageError) -> Bool
    /// Takes the account's refresh lease for `milliseconds` if nobody holds an unexpired one. Row-locked
    /// (`FOR UPDATE`) on PostgreSQL, `BEGIN IMMEDIATE` on SQLite.
    func acquireRefreshLease(accountId: String, owner: String, milliseconds: Int64) async throws(StorageError) -> Bool
    /// Gives the lease up if `owner` holds it.
    func releaseRefreshLease(accountId: String, owner: String) async throws(StorageError)
    /// Shreds the account's tokens (sign-out, revoke).
    func deleteBlobs(accountId: String) async throws(StorageError)
    /// How many blobs each key id seals.
    func keyUsage() async throws(StorageError) -> [Int64: Int]
    /// Up to `limit` blobs not sealed with `keyId`, in (account, kind) order after `cursor` (resumable batches).
    func blobs(
        notSealedWith keyId: Int64, after cursor: TokenBlobCursor?, limit: Int
    ) async throws(StorageError)
        -> [TokenBlob]
    /// Replaces `old` by `new` only if the row still holds `old.blob` (a concurrent refresh wins). Returns whether
    /// it replaced.
    func replace(_ old: TokenBlob, with new: TokenBlob) async throws(StorageError) -> Bool
}

/// Position in a rewrap scan.
public struct TokenBlobCursor: Sendable, Equatable {
    public var accountId: String
    public var kind: String

    public init(accountId: String, kind: String) {
        self.accountId = accountId
        self.kind = kind
    }

    public init(_ blob: TokenBlob) { self.init(accountId: blob.accountId, kind: blob.kind.rawValue) }
}

/// The SQL implementation of `TokenBlobStore`, the same on SQLite and PostgreSQL.
public struct SQLTokenBlobStore: TokenBlobStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func blobs(accountId: String) async throws(StorageError) -> [TokenBlob] {
        try await database.read { db in
            try await db.raw("SELECT * FROM token_blobs WHERE account_id = \(bind: accountId)").all().map(Self.blob)
        }
    }

    public func save(_ blobs: [TokenBlob]) async throws(StorageError) {
        try await database.transaction { db in
            for blob in blobs { try await Self.upsert(blob, db) }
        }
    }

    public func saveRefreshed(
        _ blobs: [TokenBlob], accountId: String, leaseOwner: String
    ) async throws(StorageError)
        -> Bool
    {
        let locking = database.lockingClause
        return try await database.transaction { db in
            let owner = try await db.raw(
                "SELECT owner FROM token_refresh_leases WHERE account_id = \(bind: accountId)\(unsafeRaw: locking)"
            ).first()?.decode(column: "owner", as: String.self)
            guard owner == leaseOwner else { return false }
            for blob in blobs { try await Self.upsert(blob, db) }
            try await db.raw(
                "UPDATE token_refresh_leases SET owner = '', expires_at_ms = 0 WHERE account_id = \(bind: accountId)"
            ).run()
            return true
        }
    }

    public func acquireRefreshLease(
        accountId: String, owner: String, milliseconds: Int64
    ) async throws(StorageError)
        -> Bool
    {
        let locking = database.lockingClause
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await database.transaction { db in
            try await db.raw(
                """
                INSERT INTO token_refresh_leases (account_id, owner, expires_at_ms)
                VALUES (\(bind: accountId), '', 0) ON CONFLICT (account_id) DO NOTHING
                """
            ).run()
            guard
                let row = try await db.raw(
                    """
                    SELECT owner, expires_at_ms FROM token_refresh_leases
                    WHERE account_id = \(bind: accountId)\(unsafeRaw: locking)
                    """
                ).first()
            else { return false }
            let current = try row.decode(column: "owner", as: String.self)
            let until = try row.decode(column: "expires_at_ms", as: Int64.self)
            guard current.isEmpty || current == owner || until < now else { return false }
            try await db.raw(
                """
                UPDATE token_refresh_leases SET owner = \(bind: owner), expires_at_ms = \(bind: now + milliseconds)
                WHERE account_id = \(bind: accountId)
                """
            ).run()
            return true
        }
    }

    public func releaseRefreshLease(accountId: String, owner: String) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                """
                UPDATE token_refresh_leases SET owner = '', expires_at_ms = 0
                WHERE account_id = \(bind: accountId) AND owner = \(bind: owner)
                """
            ).run()
        }
    }

    public func deleteBlobs(accountId: String) async throws(StorageError) {
        try await database.transaction { db in
            try await db.raw("DELETE FROM token_blobs WHERE account_id = \(bind: accountId)").run()
            try await db.raw("DELETE FROM token_refresh_leases WHERE account_id = \(bind: accountId)").run()
        }
    }

    public func keyUsage() async throws(StorageError) -> [Int64: Int] {
        try await database.read { db in
            var usage: [Int64: Int] = [:]
            for row in try await db.raw("SELECT key_id, COUNT(*) AS n FROM token_blobs GROUP BY key_id").all() {
                usage[try row.decode(column: "key_id", as: Int64.self)] = Int(
                    try row.decode(column: "n", as: Int64.self))
            }
            return usage
        }
    }

    public func blobs(
        notSealedWith keyId: Int64, after cursor: TokenBlobCursor?, limit: Int
    ) async throws(StorageError)
        -> [TokenBlob]
    {
        try await database.read { db in
            if let cursor {
                return try await db.raw(
                    """
                    SELECT * FROM token_blobs WHERE key_id <> \(bind: keyId)
                    AND (account_id > \(bind: cursor.accountId)
                         OR (account_id = \(bind: cursor.accountId) AND kind > \(bind: cursor.kind)))
                    ORDER BY account_id, kind LIMIT \(bind: limit)
                    """
                ).all().map(Self.blob)
            }
            return try await db.raw(
                """
                SELECT * FROM token_blobs WHERE key_id <> \(bind: keyId)
                ORDER BY account_id, kind LIMIT \(bind: limit)
                """
            ).all().map(Self.blob)
        }
    }

    public func replace(_ old: TokenBlob, with new: TokenBlob) async throws(StorageError) -> Bool {
        let locking = database.lockingClause
        return try await database.transaction { db in
            let current = try await db.raw(
                """
                SELECT blob FROM token_blobs WHERE account_id = \(bind: old.accountId)
                AND kind = \(bind: old.kind.rawValue)\(unsafeRaw: locking)
                """
            ).first()?.decode(column: "blob", as: Data.self)
            guard current == old.blob else { return false }
            try await db.raw(
                """
                UPDATE token_blobs SET key_id = \(bind: new.keyId), blob = \(bind: new.blob),
                updated_at = \(bind: Timestamp.now)
                WHERE account_id = \(bind: old.accountId) AND kind = \(bind: old.kind.rawValue)
                """
            ).run()
            return true
        }
    }

    static func upsert(_ blob: TokenBlob, _ db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO token_blobs (account_id, kind, user_id, key_id, blob, expires_at, obtained_at, updated_at)
            VALUES (\(bind: blob.accountId), \(bind: blob.kind.rawValue), \(bind: blob.userId), \(bind: blob.keyId),
            \(bind: blob.blob), \(bind: blob.expiresAt), \(bind: blob.obtainedAt), \(bind: blob.updatedAt))
            ON CONFLICT (account_id, kind) DO UPDATE SET user_id = excluded.user_id, key_id = excluded.key_id,
            blob = excluded.blob, expires_at = excluded.expires_at, obtained_at = excluded.obtained_at,
            updated_at = excluded.updated_at
            """
        ).run()
    }

    static func blob(_ row: any SQLRow) throws -> TokenBlob {
        TokenBlob(
            accountId: try row.decode(column: "account_id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            kind: TokenBlob.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .access,
            keyId: try row.decode(column: "key_id", as: Int64.self),
            blob: try row.decode(column: "blob", as: Data.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self),
            obtainedAt: try row.decode(column: "obtained_at", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Int64.self))
    }
}
