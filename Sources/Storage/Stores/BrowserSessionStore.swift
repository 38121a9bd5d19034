import SQLKit

/// graphgate's own browser sessions (after a Microsoft sign-in), keyed by the SHA-256 of the cookie value.
public protocol BrowserSessionStore: Sendable {
    func insertSession(_ session: BrowserSessionRecord) async throws(StorageError)
    /// The session if it has not passed its absolute expiry nor been idle longer than `idleTimeout` seconds.
    func activeSession(
        idHash: String, now: Int64, idleTimeout: Int64
    ) async throws(StorageError)
        -> BrowserSessionRecord?
    func touchSession(idHash: String, now: Int64) async throws(StorageError)
    func deleteSession(idHash: String) async throws(StorageError)
    func deleteSessions(userId: String) async throws(StorageError)
    func purgeExpiredSessions(now: Int64, idleTimeout: Int64) async throws(StorageError)
}

/// The SQL implementation of `BrowserSessionStore`.
public struct SQLBrowserSessionStore: BrowserSessionStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func insertSession(_ session: BrowserSessionRecord) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO browser_sessions (id_hash, user_id, created_at, last_seen_at, expires_at)
                VALUES (\(bind: session.idHash), \(bind: session.userId), \(bind: session.createdAt),
                \(bind: session.lastSeenAt), \(bind: session.expiresAt))
                """
            ).run()
        }
    }

    public func activeSession(
        idHash: String, now: Int64, idleTimeout: Int64
    ) async throws(StorageError)
        -> BrowserSessionRecord?
    {
        let idleSince = now - idleTimeout
        return try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM browser_sessions WHERE id_hash = \(bind: idHash) AND expires_at > \(bind: now)
                AND last_seen_at > \(bind: idleSince)
                """
            ).first().map(Self.session)
        }
    }

    public func touchSession(idHash: String, now: Int64) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                "UPDATE browser_sessions SET last_seen_at = \(bind: now) WHERE id_hash = \(bind: idHash)"
            ).run()
        }
    }

    public func deleteSession(idHash: String) async throws(StorageError) {
        try await database.read { db in
            try await db.raw("DELETE FROM browser_sessions WHERE id_hash = \(bind: idHash)").run()
        }
    }

    public func deleteSessions(userId: String) async throws(StorageError) {
        try await database.read { db in
            try await db.raw("DELETE FROM browser_sessions WHERE user_id = \(bind: userId)").run()
        }
    }

    public func purgeExpiredSessions(now: Int64, idleTimeout: Int64) async throws(StorageError) {
        let idleSince = now - idleTimeout
        try await database.read { db in
            try await db.raw(
                """
                DELETE FROM browser_sessions WHERE expires_at <= \(bind: now) OR last_seen_at <= \(bind: idleSince)
                """
            ).run()
        }
    }

    static func session(_ row: any SQLRow) throws -> BrowserSessionRecord {
        BrowserSessionRecord(
            idHash: try row.decode(column: "id_hash", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            lastSeenAt: try row.decode(column: "last_seen_at", as: Int64.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self))
    }
}
