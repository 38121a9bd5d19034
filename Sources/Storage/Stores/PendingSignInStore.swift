import Foundation
import SQLKit

/// Started Microsoft sign-ins, each usable once.
public protocol PendingSignInStore: Sendable {
    func insert(_ pending: PendingSignIn) async throws(StorageError)
    /// Removes and returns the sign-in for `stateHash` (expired or not: the caller decides); nil when unknown or
    /// already used. Two concurrent calls never both get it.
    func consume(stateHash: String) async throws(StorageError) -> PendingSignIn?
    /// Deletes sign-ins that expired before `now`; returns how many.
    @discardableResult func deleteExpired(now: Int64) async throws(StorageError) -> Int
    /// How many pending verifiers each key id seals.
    func keyUsage() async throws(StorageError) -> [Int64: Int]
    /// Pending sign-ins not sealed with `keyId` (few: they live ≤ 10 minutes).
    func pending(notSealedWith keyId: Int64, limit: Int) async throws(StorageError) -> [PendingSignIn]
    /// Replaces the sealed verifier if the row still holds `old.verifierBlob`.
    func replaceVerifier(_ old: PendingSignIn, keyId: Int64, blob: Data) async throws(StorageError) -> Bool
}

/// The SQL implementation of `PendingSignInStore`, the same on SQLite and PostgreSQL.
public struct SQLPendingSignInStore: PendingSignInStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func insert(_ pending: PendingSignIn) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO pending_sign_ins (state_hash, continuation, redirect_uri, scopes, nonce_hash, key_id,
                verifier_blob, created_at, expires_at) VALUES (\(bind: pending.stateHash),
                \(bind: pending.continuation), \(bind: pending.redirectURI), \(bind: pending.scopes),
                \(bind: pending.nonceHash), \(bind: pending.keyId), \(bind: pending.verifierBlob),
                \(bind: pending.createdAt), \(bind: pending.expiresAt))
                """
            ).run()
        }
    }

    public func consume(stateHash: String) async throws(StorageError) -> PendingSignIn? {
        let locking = database.lockingClause
        return try await database.transaction { db in
            guard
                let pending = try await db.raw(
                    "SELECT * FROM pending_sign_ins WHERE state_hash = \(bind: stateHash)\(unsafeRaw: locking)"
                ).first().map(Self.pending)
            else { return nil }
            try await db.raw("DELETE FROM pending_sign_ins WHERE state_hash = \(bind: stateHash)").run()
            return pending
        }
    }

    @discardableResult
    public func deleteExpired(now: Int64) async throws(StorageError) -> Int {
        try await database.transaction { db in
            let count =
                try await db.raw(
                    "SELECT COUNT(*) AS n FROM pending_sign_ins WHERE expires_at < \(bind: now)"
                ).first()?.decode(column: "n", as: Int64.self) ?? 0
            try await db.raw("DELETE FROM pending_sign_ins WHERE expires_at < \(bind: now)").run()
            return Int(count)
        }
    }

    public func keyUsage() async throws(StorageError) -> [Int64: Int] {
        try await database.read { db in
            var usage: [Int64: Int] = [:]
            for row in try await db.raw("SELECT key_id, COUNT(*) AS n FROM pending_sign_ins GROUP BY key_id").all() {
                usage[try row.decode(column: "key_id", as: Int64.self)] = Int(
                    try row.decode(column: "n", as: Int64.self))
            }
            return usage
        }
    }

    public func pending(notSealedWith keyId: Int64, limit: Int) async throws(StorageError) -> [PendingSignIn] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM pending_sign_ins WHERE key_id <> \(bind: keyId) ORDER BY state_hash LIMIT \(bind: limit)
                """
            ).all().map(Self.pending)
        }
    }

    public func replaceVerifier(_ old: PendingSignIn, keyId: Int64, blob: Data) async throws(StorageError) -> Bool {
        let locking = database.lockingClause
        return try await database.transaction { db in
            let current = try await db.raw(
                """
                SELECT verifier_blob FROM pending_sign_ins WHERE state_hash = \(bind: old.stateHash)\(unsafeRaw: locking)
                """
            ).first()?.decode(column: "verifier_blob", as: Data.self)
            guard current == old.verifierBlob else { return false }
            try await db.raw(
                """
                UPDATE pending_sign_ins SET key_id = \(bind: keyId), verifier_blob = \(bind: blob)
                WHERE state_hash = \(bind: old.stateHash)
                """
            ).run()
            return true
        }
    }

    static func pending(_ row: any SQLRow) throws -> PendingSignIn {
        PendingSignIn(
            stateHash: try row.decode(column: "state_hash", as: String.self),
            continuation: try row.decode(column: "continuation", as: String.self),
            redirectURI: try row.decode(column: "redirect_uri", as: String.self),
            scopes: try row.decode(column: "scopes", as: String.self),
            nonceHash: try row.decode(column: "nonce_hash", as: String.self),
            keyId: try row.decode(column: "key_id", as: Int64.self),
            verifierBlob: try row.decode(column: "verifier_blob", as: Data.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self))
    }
}
