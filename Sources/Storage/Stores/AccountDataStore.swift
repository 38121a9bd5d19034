import SQLKit

/// What the `/account` page needs beyond the other stores: the user's own browser sessions, when their grants and
/// clients were last used, and erasing the user ("delete my data"). Every query is bound to one user id.
public protocol AccountDataStore: Sendable {
    /// The user's browser sessions still live at `now` (absolute expiry and `idleTimeout` applied), newest first.
    func browserSessions(
        userId: String, now: Int64, idleTimeout: Int64
    ) async throws(StorageError)
        -> [BrowserSessionRecord]
    /// When each grant of the user last had a token of ours issued (code exchange or refresh), by grant id.
    func lastTokenIssued(userId: String) async throws(StorageError) -> [String: Int64]
    /// The time of the user's newest audit row per client id (tool calls, token operations), looking at the
    /// user's newest `window` rows only (a page view must not scan a long history).
    func lastClientActivity(userId: String, window: Int) async throws(StorageError) -> [String: Int64]
    /// Deletes every row that belongs to the user, in one transaction: Microsoft token blobs and refresh leases,
    /// linked accounts, our grants, codes and tokens, remembered consents, pending authorizations, browser
    /// sessions, expired blocks, and the user row. Audit rows stay (they are pruned by retention).
    func eraseUser(id: String, now: Int64) async throws(StorageError)
}

/// The SQL implementation of `AccountDataStore`, the same on SQLite and PostgreSQL.
public struct SQLAccountDataStore: AccountDataStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func browserSessions(
        userId: String, now: Int64, idleTimeout: Int64
    ) async throws(StorageError)
        -> [BrowserSessionRecord]
    {
        let idleSince = now - idleTimeout
        return try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM browser_sessions WHERE user_id = \(bind: userId) AND expires_at > \(bind: now)
                AND last_seen_at > \(bind: idleSince) ORDER BY last_seen_at DESC
                """
            ).all().map(SQLBrowserSessionStore.session)
        }
    }

    public func lastTokenIssued(userId: String) async throws(StorageError) -> [String: Int64] {
        try await database.read { db in
            let rows = try await db.raw(
                """
                SELECT grant_id, MAX(created_at) AS last FROM oauth_tokens WHERE user_id = \(bind: userId)
                GROUP BY grant_id
                """
            ).all()
            var result: [String: Int64] = [:]
            for row in rows {
                result[try row.decode(column: "grant_id", as: String.self)] = try row.decode(
                    column: "last", as: Int64?.self)
            }
            return result
        }
    }

    public func lastClientActivity(userId: String, window: Int) async throws(StorageError) -> [String: Int64] {
        try await database.read { db in
            let rows = try await db.raw(
                """
                SELECT client_id, MAX(at) AS last FROM (SELECT client_id, at FROM audit_log
                WHERE user_id = \(bind: userId) ORDER BY seq DESC LIMIT \(bind: window)) newest
                WHERE client_id IS NOT NULL GROUP BY client_id
                """
            ).all()
            var result: [String: Int64] = [:]
            for row in rows {
                result[try row.decode(column: "client_id", as: String.self)] = try row.decode(
                    column: "last", as: Int64?.self)
            }
            return result
        }
    }

    public func eraseUser(id: String, now: Int64) async throws(StorageError) {
        let subject = "user:" + id
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw(
                """
                DELETE FROM token_refresh_leases WHERE account_id IN
                (SELECT id FROM accounts WHERE user_id = \(bind: id))
                """
            ).run()
            try await db.raw("DELETE FROM token_blobs WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM accounts WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM oauth_tokens WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM oauth_codes WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM oauth_grants WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM oauth_consents WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM oauth_pending_authorizations WHERE user_id = \(bind: id)").run()
            try await db.raw("DELETE FROM browser_sessions WHERE user_id = \(bind: id)").run()
            // An active block is the administrator's and stays; the account page refuses erasure while one holds.
            try await db.raw(
                """
                DELETE FROM blocks WHERE subject = \(bind: subject) AND blocked_until IS NOT NULL
                AND blocked_until <= \(bind: now)
                """
            ).run()
            try await db.raw("DELETE FROM users WHERE id = \(bind: id)").run()
        }
    }
}
