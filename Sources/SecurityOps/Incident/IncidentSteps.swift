/// What an incident action needs from the other modules. Security defines these; the app composes the real
/// implementations (our OAuth server, the token vault, the MCP session registry) so Security depends on none.
public protocol AccessRevoker: Sendable {
    /// Revokes every grant of the user (all our access and refresh tokens), every browser session and every live
    /// MCP session. Returns how many grants were revoked.
    func revokeAllAccess(userId: String, reason: String, actor: String) async throws -> Int
}

/// Deletes a user's Microsoft token blobs (access, refresh, id tokens), so nothing can call Graph for them.
public protocol MicrosoftTokenEraser: Sendable {
    /// Returns how many linked accounts had their tokens deleted.
    func eraseMicrosoftTokens(userId: String) async throws -> Int
}

/// Lists what a user has open right now, for `admin sessions`.
public protocol SessionLister: Sendable {
    func sessions(userId: String) async throws -> [SessionSummary]
}

/// One open session or grant of a user, without anything secret (ids are shortened hashes or grant ids).
public struct SessionSummary: Sendable, Equatable, Codable {
    /// `grant`, `browser`, `mcp`.
    public var kind: String
    public var id: String
    public var clientId: String?
    public var createdAt: Int64?
    public var lastUsedAt: Int64?

    public init(kind: String, id: String, clientId: String?, createdAt: Int64?, lastUsedAt: Int64?) {
        self.kind = kind
        self.id = id
        self.clientId = clientId
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}
