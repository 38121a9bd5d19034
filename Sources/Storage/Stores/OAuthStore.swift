import Foundation
import SQLKit

/// Our OAuth authorization server's state: clients, pending requests, consents, grants, codes and tokens.
///
/// Secrets are passed in and looked up by their SHA-256 hash only. Operations that decide between "issue" and
/// "refuse" (`consumeCode`, `rotateRefreshToken`, `insertTokens`) are single transactions, so two instances
/// racing on the same code or refresh token cannot both win.
public protocol OAuthStore: Sendable {
    func insertClient(_ client: OAuthClientRecord) async throws(StorageError)
    /// Inserts or replaces (metadata documents are re-fetched).
    func upsertClient(_ client: OAuthClientRecord) async throws(StorageError)
    func client(id: String) async throws(StorageError) -> OAuthClientRecord?
    func clients(ids: [String]) async throws(StorageError) -> [OAuthClientRecord]
    /// The registered (dynamic) client with this metadata fingerprint, if any.
    func client(fingerprint: String) async throws(StorageError) -> OAuthClientRecord?
    /// Records that a token was issued to the client at `now`.
    func touchClient(id: String, now: Int64) async throws(StorageError)
    /// Deletes dynamically registered clients with no token issued since `before`, or never issued one and
    /// registered before `neverUsedBefore`, and their remembered consents. Returns how many.
    func deleteIdleClients(before: Int64, neverUsedBefore: Int64) async throws(StorageError) -> Int

    func insertPending(_ pending: PendingAuthorizationRecord) async throws(StorageError)
    /// The pending request if it exists and has not expired at `now`.
    func pending(idHash: String, now: Int64) async throws(StorageError) -> PendingAuthorizationRecord?
    /// Binds a pending request to the user who signed in. False if it is gone, expired or bound to another user.
    func attachUser(pendingIdHash: String, userId: String, now: Int64) async throws(StorageError) -> Bool
    /// Moves the pending request bound to `userId` to a new handle hash; false when it is gone or not theirs.
    func rekeyPending(idHash: String, to newIdHash: String, userId: String) async throws(StorageError) -> Bool
    /// Deletes the pending request and returns it if it still existed and is bound to `userId` (single use);
    /// a request bound to someone else (or to nobody yet) is left untouched and nil is returned.
    func takePending(idHash: String, userId: String) async throws(StorageError) -> PendingAuthorizationRecord?

    func consent(userId: String, clientId: String) async throws(StorageError) -> OAuthConsentRecord?
    func saveConsent(_ consent: OAuthConsentRecord) async throws(StorageError)
    func consents(userId: String) async throws(StorageError) -> [OAuthConsentRecord]
    func deleteConsent(userId: String, clientId: String) async throws(StorageError) -> Bool

    /// Creates the grant and its code in one transaction.
    func insertGrant(_ grant: OAuthGrantRecord, code: OAuthCodeRecord) async throws(StorageError)
    func grant(id: String) async throws(StorageError) -> OAuthGrantRecord?
    func grants(userId: String, includeRevoked: Bool) async throws(StorageError) -> [OAuthGrantRecord]
    /// The grants not revoked of all these users, in one query, oldest first.
    func activeGrants(userIds: [String]) async throws(StorageError) -> [OAuthGrantRecord]

    /// Marks the code used and returns it; or reports it unknown or already used.
    func consumeCode(hash: String, now: Int64) async throws(StorageError) -> OAuthCodeConsumption
    /// Stores tokens of one grant, only if that grant is still active. Returns false (nothing stored) otherwise.
    func insertTokens(_ tokens: [OAuthTokenRecord], now: Int64) async throws(StorageError) -> Bool
    /// The token if it exists, is neither expired, revoked nor rotated, and its grant is active.
    func activeToken(hash: String, now: Int64) async throws(StorageError) -> OAuthTokenRecord?
    /// Looks up a token whatever its state (for revocation).
    func token(hash: String) async throws(StorageError) -> OAuthTokenRecord?
    /// Rotates an active refresh token of `clientId`: marks it rotated and stores `replacement(old)` in the same
    /// transaction. A token rotated before is reported as `.reused` and nothing is stored.
    func rotateRefreshToken(
        hash: String, clientId: String, now: Int64,
        replacement: @Sendable (OAuthTokenRecord) -> [OAuthTokenRecord]
    ) async throws(StorageError) -> OAuthRefreshOutcome

    /// Revokes one access token.
    func revokeToken(hash: String, now: Int64) async throws(StorageError)
    /// Revokes a grant and every token of it. Returns false when it was unknown or already revoked.
    func revokeGrant(id: String, reason: String, now: Int64) async throws(StorageError) -> Bool
    /// Revokes every active grant of the user; returns their ids.
    func revokeGrants(userId: String, reason: String, now: Int64) async throws(StorageError) -> [String]
    /// Revokes every active grant of (user, client); returns their ids.
    func revokeGrants(
        userId: String, clientId: String, reason: String, now: Int64
    ) async throws(StorageError)
        -> [String]

    /// Deletes expired pending requests, codes and tokens (rotated refresh tokens are kept until they expire).
    func purgeExpired(now: Int64) async throws(StorageError)
}

/// The SQL implementation of `OAuthStore`, the same on SQLite and PostgreSQL.
public struct SQLOAuthStore: OAuthStore {
    let database: Database

    public init(database: Database) { self.database = database }

    // MARK: Clients

    public func insertClient(_ client: OAuthClientRecord) async throws(StorageError) {
        let uris = Self.encodeList(client.redirectURIs)
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO oauth_clients (client_id, client_name, redirect_uris, scope, kind, client_uri,
                created_at, refreshed_at, auth_method, secret_hash, application_type, fingerprint, last_used_at)
                VALUES (\(bind: client.clientId), \(bind: client.clientName),
                \(bind: uris), \(bind: client.scope), \(bind: client.kind.rawValue), \(bind: client.clientURI),
                \(bind: client.createdAt), \(bind: client.refreshedAt), \(bind: client.authMethod),
                \(bind: client.secretHash), \(bind: client.applicationType), \(bind: client.fingerprint),
                \(bind: client.lastUsedAt))
                """
            ).run()
        }
    }

    public func upsertClient(_ client: OAuthClientRecord) async throws(StorageError) {
        let uris = Self.encodeList(client.redirectURIs)
        try await database.transaction { db in
            try await db.raw("DELETE FROM oauth_clients WHERE client_id = \(bind: client.clientId)").run()
            try await db.raw(
                """
                INSERT INTO oauth_clients (client_id, client_name, redirect_uris, scope, kind, client_uri,
                created_at, refreshed_at, auth_method, secret_hash, application_type, fingerprint, last_used_at)
                VALUES (\(bind: client.clientId), \(bind: client.clientName),
                \(bind: uris), \(bind: client.scope), \(bind: client.kind.rawValue), \(bind: client.clientURI),
                \(bind: client.createdAt), \(bind: client.refreshedAt), \(bind: client.authMethod),
                \(bind: client.secretHash), \(bind: client.applicationType), \(bind: client.fingerprint),
                \(bind: client.lastUsedAt))
                """
            ).run()
        }
    }

    public func client(id: String) async throws(StorageError) -> OAuthClientRecord? {
        try await database.read { db in
            try await db.raw("SELECT * FROM oauth_clients WHERE client_id = \(bind: id)").first().map(Self.client)
        }
    }

    public func client(fingerprint: String) async throws(StorageError) -> OAuthClientRecord? {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM oauth_clients WHERE fingerprint = \(bind: fingerprint) AND kind = 'dynamic'
                ORDER BY created_at LIMIT 1
                """
            ).first().map(Self.client)
        }
    }

    public func touchClient(id: String, now: Int64) async throws(StorageError) {
        try await database.read { db in
            try await db.raw("UPDATE oauth_clients SET last_used_at = \(bind: now) WHERE client_id = \(bind: id)").run()
        }
    }

    public func deleteIdleClients(before: Int64, neverUsedBefore: Int64) async throws(StorageError) -> Int {
        try await database.transaction { db in
            let rows = try await db.raw(
                """
                SELECT client_id FROM oauth_clients WHERE kind = 'dynamic'
                AND (last_used_at < \(bind: before) OR (last_used_at IS NULL AND created_at < \(bind: neverUsedBefore)))
                """
            ).all()
            let ids = try rows.map { try $0.decode(column: "client_id", as: String.self) }
            for id in ids {
                try await db.raw("DELETE FROM oauth_consents WHERE client_id = \(bind: id)").run()
                try await db.raw("DELETE FROM oauth_clients WHERE client_id = \(bind: id)").run()
            }
            return ids.count
        }
    }

    public func clients(ids: [String]) async throws(StorageError) -> [OAuthClientRecord] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try await db.raw("SELECT * FROM oauth_clients WHERE client_id IN (\(binds: Array(Set(ids))))").all()
                .map(Self.client)
        }
    }

    // MARK: Pending authorizations

    public func insertPending(_ pending: PendingAuthorizationRecord) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO oauth_pending_authorizations (id_hash, client_id, redirect_uri, code_challenge, resource,
                scope, state, user_id, created_at, expires_at) VALUES (\(bind: pending.idHash),
                \(bind: pending.clientId), \(bind: pending.redirectURI), \(bind: pending.codeChallenge),
                \(bind: pending.resource), \(bind: pending.scope), \(bind: pending.state), \(bind: pending.userId),
                \(bind: pending.createdAt), \(bind: pending.expiresAt))
                """
            ).run()
        }
    }

    public func pending(idHash: String, now: Int64) async throws(StorageError) -> PendingAuthorizationRecord? {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM oauth_pending_authorizations WHERE id_hash = \(bind: idHash)
                AND expires_at > \(bind: now)
                """
            ).first().map(Self.pending)
        }
    }

    public func attachUser(pendingIdHash: String, userId: String, now: Int64) async throws(StorageError) -> Bool {
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let pending = try await db.raw(
                    """
                    SELECT * FROM oauth_pending_authorizations WHERE id_hash = \(bind: pendingIdHash)
                    AND expires_at > \(bind: now)\(unsafeRaw: lock)
                    """
                ).first().map(Self.pending)
            else { return false }
            if let existing = pending.userId { return existing == userId }
            try await db.raw(
                """
                UPDATE oauth_pending_authorizations SET user_id = \(bind: userId)
                WHERE id_hash = \(bind: pendingIdHash)
                """
            ).run()
            return true
        }
    }

    public func rekeyPending(idHash: String, to newIdHash: String, userId: String) async throws(StorageError) -> Bool {
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let pending = try await db.raw(
                    "SELECT * FROM oauth_pending_authorizations WHERE id_hash = \(bind: idHash)\(unsafeRaw: lock)"
                ).first().map(Self.pending),
                pending.userId == userId
            else { return false }
            try await db.raw(
                """
                UPDATE oauth_pending_authorizations SET id_hash = \(bind: newIdHash) WHERE id_hash = \(bind: idHash)
                """
            ).run()
            return true
        }
    }

    public func takePending(
        idHash: String, userId: String
    ) async throws(StorageError) -> PendingAuthorizationRecord? {
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let pending = try await db.raw(
                    "SELECT * FROM oauth_pending_authorizations WHERE id_hash = \(bind: idHash)\(unsafeRaw: lock)"
                ).first().map(Self.pending),
                pending.userId == userId
            else { return nil }
            try await db.raw("DELETE FROM oauth_pending_authorizations WHERE id_hash = \(bind: idHash)").run()
            return pending
        }
    }

    // MARK: Consents

    public func consent(userId: String, clientId: String) async throws(StorageError) -> OAuthConsentRecord? {
        try await database.read { db in
            try await db.raw(
                "SELECT * FROM oauth_consents WHERE user_id = \(bind: userId) AND client_id = \(bind: clientId)"
            ).first().map(Self.consent)
        }
    }

    public func saveConsent(_ consent: OAuthConsentRecord) async throws(StorageError) {
        try await database.transaction { db in
            try await db.raw(
                """
                DELETE FROM oauth_consents WHERE user_id = \(bind: consent.userId)
                AND client_id = \(bind: consent.clientId)
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO oauth_consents (user_id, client_id, scope, created_at) VALUES (\(bind: consent.userId),
                \(bind: consent.clientId), \(bind: consent.scope), \(bind: consent.createdAt))
                """
            ).run()
        }
    }

    public func consents(userId: String) async throws(StorageError) -> [OAuthConsentRecord] {
        try await database.read { db in
            try await db.raw("SELECT * FROM oauth_consents WHERE user_id = \(bind: userId) ORDER BY created_at")
                .all().map(Self.consent)
        }
    }

    public func deleteConsent(userId: String, clientId: String) async throws(StorageError) -> Bool {
        try await database.transaction { db in
            let existing = try await db.raw(
                """
                SELECT user_id FROM oauth_consents WHERE user_id = \(bind: userId) AND client_id = \(bind: clientId)
                """
            ).first()
            try await db.raw(
                "DELETE FROM oauth_consents WHERE user_id = \(bind: userId) AND client_id = \(bind: clientId)"
            ).run()
            return existing != nil
        }
    }

    // MARK: Grants and codes

    public func insertGrant(_ grant: OAuthGrantRecord, code: OAuthCodeRecord) async throws(StorageError) {
        try await database.transaction { db in
            try await db.raw(
                """
                INSERT INTO oauth_grants (id, user_id, client_id, scope, resource, created_at, revoked_at,
                revoked_reason) VALUES (\(bind: grant.id), \(bind: grant.userId), \(bind: grant.clientId),
                \(bind: grant.scope), \(bind: grant.resource), \(bind: grant.createdAt), \(bind: grant.revokedAt),
                \(bind: grant.revokedReason))
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO oauth_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge,
                resource, scope, created_at, expires_at, used_at) VALUES (\(bind: code.codeHash),
                \(bind: code.grantId), \(bind: code.clientId), \(bind: code.userId), \(bind: code.redirectURI),
                \(bind: code.codeChallenge), \(bind: code.resource), \(bind: code.scope), \(bind: code.createdAt),
                \(bind: code.expiresAt), \(bind: code.usedAt))
                """
            ).run()
        }
    }

    public func grant(id: String) async throws(StorageError) -> OAuthGrantRecord? {
        try await database.read { db in
            try await db.raw("SELECT * FROM oauth_grants WHERE id = \(bind: id)").first().map(Self.grant)
        }
    }

    public func grants(userId: String, includeRevoked: Bool) async throws(StorageError) -> [OAuthGrantRecord] {
        try await database.read { db in
            try await db.raw("SELECT * FROM oauth_grants WHERE user_id = \(bind: userId) ORDER BY created_at").all()
                .map(Self.grant).filter { includeRevoked || $0.revokedAt == nil }
        }
    }

    public func activeGrants(userIds: [String]) async throws(StorageError) -> [OAuthGrantRecord] {
        guard !userIds.isEmpty else { return [] }
        return try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM oauth_grants WHERE user_id IN (\(binds: Array(Set(userIds)))) AND revoked_at IS NULL
                ORDER BY created_at
                """
            ).all().map(Self.grant)
        }
    }

    public func consumeCode(hash: String, now: Int64) async throws(StorageError) -> OAuthCodeConsumption {
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let code = try await db.raw(
                    "SELECT * FROM oauth_codes WHERE code_hash = \(bind: hash)\(unsafeRaw: lock)"
                ).first().map(Self.code)
            else { return .notFound }
            if code.usedAt != nil { return .replayed(code) }
            try await db.raw("UPDATE oauth_codes SET used_at = \(bind: now) WHERE code_hash = \(bind: hash)").run()
            var used = code
            used.usedAt = now
            return .consumed(used)
        }
    }

    public func insertTokens(_ tokens: [OAuthTokenRecord], now: Int64) async throws(StorageError) -> Bool {
        guard let grantId = tokens.first?.grantId else { return true }
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let grant = try await db.raw(
                    "SELECT * FROM oauth_grants WHERE id = \(bind: grantId)\(unsafeRaw: lock)"
                ).first().map(Self.grant), grant.revokedAt == nil
            else { return false }
            for token in tokens {
                try await Self.insert(token, db)
            }
            return true
        }
    }

    public func activeToken(hash: String, now: Int64) async throws(StorageError) -> OAuthTokenRecord? {
        try await database.read { db in
            try await db.raw(
                """
                SELECT t.* FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id
                WHERE t.token_hash = \(bind: hash) AND t.expires_at > \(bind: now) AND t.revoked_at IS NULL
                AND t.rotated_at IS NULL AND g.revoked_at IS NULL
                """
            ).first().map(Self.token)
        }
    }

    public func token(hash: String) async throws(StorageError) -> OAuthTokenRecord? {
        try await database.read { db in
            try await db.raw("SELECT * FROM oauth_tokens WHERE token_hash = \(bind: hash)").first().map(Self.token)
        }
    }

    public func rotateRefreshToken(
        hash: String, clientId: String, now: Int64,
        replacement: @Sendable (OAuthTokenRecord) -> [OAuthTokenRecord]
    ) async throws(StorageError) -> OAuthRefreshOutcome {
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let token = try await db.raw(
                    """
                    SELECT * FROM oauth_tokens WHERE token_hash = \(bind: hash)
                    AND kind = \(bind: OAuthTokenRecord.Kind.refresh.rawValue)\(unsafeRaw: lock)
                    """
                ).first().map(Self.token)
            else { return .invalid }
            guard token.clientId == clientId else { return .wrongClient(token) }
            guard
                let grant = try await db.raw(
                    "SELECT * FROM oauth_grants WHERE id = \(bind: token.grantId)\(unsafeRaw: lock)"
                ).first().map(Self.grant), grant.revokedAt == nil, token.revokedAt == nil
            else { return .invalid }
            if token.rotatedAt != nil { return .reused(token) }
            guard token.expiresAt > now else { return .invalid }
            try await db.raw(
                "UPDATE oauth_tokens SET rotated_at = \(bind: now) WHERE token_hash = \(bind: hash)"
            ).run()
            for newToken in replacement(token) {
                try await Self.insert(newToken, db)
            }
            return .rotated(old: token)
        }
    }

    // MARK: Revocation

    public func revokeToken(hash: String, now: Int64) async throws(StorageError) {
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw(
                """
                UPDATE oauth_tokens SET revoked_at = \(bind: now) WHERE token_hash = \(bind: hash)
                AND revoked_at IS NULL
                """
            ).run()
        }
    }

    public func revokeGrant(id: String, reason: String, now: Int64) async throws(StorageError) -> Bool {
        let lock = database.lockingClause
        let revoked = try await database.transaction { db in
            guard
                let grant = try await db.raw(
                    "SELECT * FROM oauth_grants WHERE id = \(bind: id)\(unsafeRaw: lock)"
                ).first().map(Self.grant), grant.revokedAt == nil
            else { return false }
            try await Self.revoke(grantId: id, reason: reason, now: now, db)
            return true
        }
        if revoked { RevocationEpoch.noteLocal() }
        return revoked
    }

    public func revokeGrants(userId: String, reason: String, now: Int64) async throws(StorageError) -> [String] {
        let lock = database.lockingClause
        let ids = try await database.transaction { db in
            let ids = try await db.raw(
                """
                SELECT id FROM oauth_grants WHERE user_id = \(bind: userId) AND revoked_at IS NULL\(unsafeRaw: lock)
                """
            ).all().map { try $0.decode(column: "id", as: String.self) }
            for id in ids {
                try await Self.revoke(grantId: id, reason: reason, now: now, db)
            }
            return ids
        }
        if !ids.isEmpty { RevocationEpoch.noteLocal() }
        return ids
    }

    public func revokeGrants(
        userId: String, clientId: String, reason: String, now: Int64
    ) async throws(StorageError)
        -> [String]
    {
        let lock = database.lockingClause
        let ids = try await database.transaction { db in
            let ids = try await db.raw(
                """
                SELECT id FROM oauth_grants WHERE user_id = \(bind: userId) AND client_id = \(bind: clientId)
                AND revoked_at IS NULL\(unsafeRaw: lock)
                """
            ).all().map { try $0.decode(column: "id", as: String.self) }
            for id in ids {
                try await Self.revoke(grantId: id, reason: reason, now: now, db)
            }
            return ids
        }
        if !ids.isEmpty { RevocationEpoch.noteLocal() }
        return ids
    }

    public func purgeExpired(now: Int64) async throws(StorageError) {
        try await database.transaction { db in
            try await db.raw("DELETE FROM oauth_pending_authorizations WHERE expires_at <= \(bind: now)").run()
            try await db.raw("DELETE FROM oauth_codes WHERE expires_at <= \(bind: now)").run()
            try await db.raw("DELETE FROM oauth_tokens WHERE expires_at <= \(bind: now)").run()
        }
    }

    // MARK: Rows

    /// Revokes a grant and its tokens and bumps the revocation epoch (callers `noteLocal()` after the transaction).
    static func revoke(grantId: String, reason: String, now: Int64, _ db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE oauth_grants SET revoked_at = \(bind: now), revoked_reason = \(bind: reason)
            WHERE id = \(bind: grantId)
            """
        ).run()
        try await db.raw(
            """
            UPDATE oauth_tokens SET revoked_at = \(bind: now) WHERE grant_id = \(bind: grantId)
            AND revoked_at IS NULL
            """
        ).run()
        try await RevocationEpoch.bump(db)
    }

    static func insert(_ token: OAuthTokenRecord, _ db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO oauth_tokens (token_hash, kind, grant_id, user_id, client_id, scope, audience, created_at,
            expires_at, rotated_at, revoked_at) VALUES (\(bind: token.tokenHash), \(bind: token.kind.rawValue),
            \(bind: token.grantId), \(bind: token.userId), \(bind: token.clientId), \(bind: token.scope),
            \(bind: token.audience), \(bind: token.createdAt), \(bind: token.expiresAt), \(bind: token.rotatedAt),
            \(bind: token.revokedAt))
            """
        ).run()
    }

    static func encodeList(_ list: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
    }

    static func decodeList(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    static func client(_ row: any SQLRow) throws -> OAuthClientRecord {
        var record = OAuthClientRecord(
            clientId: try row.decode(column: "client_id", as: String.self),
            clientName: try row.decode(column: "client_name", as: String.self),
            redirectURIs: decodeList(try row.decode(column: "redirect_uris", as: String.self)),
            scope: try row.decode(column: "scope", as: String.self),
            kind: OAuthClientRecord.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .dynamic,
            clientURI: try row.decode(column: "client_uri", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            refreshedAt: try row.decode(column: "refreshed_at", as: Int64.self))
        record.authMethod = try row.decode(column: "auth_method", as: String.self)
        record.secretHash = try row.decode(column: "secret_hash", as: String?.self)
        record.applicationType = try row.decode(column: "application_type", as: String.self)
        record.fingerprint = try row.decode(column: "fingerprint", as: String?.self)
        record.lastUsedAt = try row.decode(column: "last_used_at", as: Int64?.self)
        return record
    }

    static func pending(_ row: any SQLRow) throws -> PendingAuthorizationRecord {
        PendingAuthorizationRecord(
            idHash: try row.decode(column: "id_hash", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            redirectURI: try row.decode(column: "redirect_uri", as: String.self),
            codeChallenge: try row.decode(column: "code_challenge", as: String.self),
            resource: try row.decode(column: "resource", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            state: try row.decode(column: "state", as: String?.self),
            userId: try row.decode(column: "user_id", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self))
    }

    static func consent(_ row: any SQLRow) throws -> OAuthConsentRecord {
        OAuthConsentRecord(
            userId: try row.decode(column: "user_id", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self))
    }

    static func grant(_ row: any SQLRow) throws -> OAuthGrantRecord {
        OAuthGrantRecord(
            id: try row.decode(column: "id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            resource: try row.decode(column: "resource", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self),
            revokedReason: try row.decode(column: "revoked_reason", as: String?.self))
    }

    static func code(_ row: any SQLRow) throws -> OAuthCodeRecord {
        OAuthCodeRecord(
            codeHash: try row.decode(column: "code_hash", as: String.self),
            grantId: try row.decode(column: "grant_id", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            redirectURI: try row.decode(column: "redirect_uri", as: String.self),
            codeChallenge: try row.decode(column: "code_challenge", as: String.self),
            resource: try row.decode(column: "resource", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self),
            usedAt: try row.decode(column: "used_at", as: Int64?.self))
    }

    static func token(_ row: any SQLRow) throws -> OAuthTokenRecord {
        OAuthTokenRecord(
            tokenHash: try row.decode(column: "token_hash", as: String.self),
            kind: OAuthTokenRecord.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .access,
            grantId: try row.decode(column: "grant_id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            audience: try row.decode(column: "audience", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self),
            rotatedAt: try row.decode(column: "rotated_at", as: Int64?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self))
    }
}
