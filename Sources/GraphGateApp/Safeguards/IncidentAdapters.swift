import Authorization
import SecurityOps
import Storage

/// Revokes through the running authorization server: grants, browser sessions, and (its `onRevoke`) live MCP
/// sessions in this process. Other instances see the revoked grants at their next bearer check.
public struct AuthorizationServerRevoker: AccessRevoker {
    let server: AuthorizationServer

    public init(server: AuthorizationServer) { self.server = server }

    public func revokeAllAccess(userId: String, reason: String, actor: String) async throws -> Int {
        try await server.revokeAll(userId: userId, reason: reason, actor: actor).count
    }
}

/// Revokes in the stores directly (the `admin revoke` command, which has no live sessions of its own): every
/// grant — so every access and refresh token, on every instance at its next bearer check — and every browser
/// session.
public struct StoreAccessRevoker: AccessRevoker {
    let oauth: any OAuthStore
    let browserSessions: any BrowserSessionStore

    public init(oauth: any OAuthStore, browserSessions: any BrowserSessionStore) {
        self.oauth = oauth
        self.browserSessions = browserSessions
    }

    public func revokeAllAccess(userId: String, reason: String, actor: String) async throws -> Int {
        let ids = try await oauth.revokeGrants(userId: userId, reason: reason, now: Timestamp.now)
        try await browserSessions.deleteSessions(userId: userId)
        return ids.count
    }
}

/// Deletes the encrypted Microsoft token blobs of every linked account of a user.
public struct VaultTokenEraser: MicrosoftTokenEraser {
    let users: any UserStore
    let blobs: any TokenBlobStore

    public init(users: any UserStore, blobs: any TokenBlobStore) {
        self.users = users
        self.blobs = blobs
    }

    public func eraseMicrosoftTokens(userId: String) async throws -> Int {
        let accounts = try await users.accounts(userId: userId)
        for account in accounts {
            try await blobs.deleteBlobs(accountId: account.id)
            try await users.setAccountStatus(id: account.id, .needsSignIn)
        }
        return accounts.count
    }
}

/// Lists a user's active grants (what every MCP session runs on) from the OAuth store.
public struct GrantSessionLister: SessionLister {
    let oauth: any OAuthStore

    public init(oauth: any OAuthStore) { self.oauth = oauth }

    public func sessions(userId: String) async throws -> [SessionSummary] {
        try await oauth.grants(userId: userId, includeRevoked: false).map {
            SessionSummary(kind: "grant", id: $0.id, clientId: $0.clientId, createdAt: $0.createdAt, lastUsedAt: nil)
        }
    }
}
