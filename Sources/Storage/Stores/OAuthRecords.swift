/// A registered MCP client: public (`none`) or, if it registered so, with a secret.
public struct OAuthClientRecord: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Registered through `/oauth/register` (RFC 7591).
        case dynamic
        /// An https `client_id` whose metadata document we fetched.
        case metadataDocument = "metadata_document"
    }

    public var clientId: String
    public var clientName: String
    /// Exact redirect URIs, compared byte for byte at `/oauth/authorize`.
    public var redirectURIs: [String]
    /// Space-separated scopes the client registered for (may be empty: any we support).
    public var scope: String
    public var kind: Kind
    public var clientURI: String?
    public var createdAt: Int64
    /// When the metadata was last written (registration, or the last fetch of a metadata document).
    public var refreshedAt: Int64
    /// `none`, `client_secret_post` or `client_secret_basic`.
    public var authMethod: String = "none"
    /// SHA-256 (hex) of the client secret, for the two secret methods.
    public var secretHash: String? = nil
    /// `web` or `native` (RFC 7591 / OpenID Dynamic Registration).
    public var applicationType: String = "web"
    /// Hash of the registered metadata: registering the same again returns this client.
    public var fingerprint: String? = nil
    /// When a token was last issued to the client (nil: never).
    public var lastUsedAt: Int64? = nil

    public init(
        clientId: String, clientName: String, redirectURIs: [String], scope: String, kind: Kind, clientURI: String?,
        createdAt: Int64, refreshedAt: Int64
    ) {
        self.clientId = clientId
        self.clientName = clientName
        self.redirectURIs = redirectURIs
        self.scope = scope
        self.kind = kind
        self.clientURI = clientURI
        self.createdAt = createdAt
        self.refreshedAt = refreshedAt
    }
}

/// An `/oauth/authorize` request that passed validation and waits for sign-in and consent.
public struct PendingAuthorizationRecord: Sendable, Equatable {
    /// SHA-256 (hex) of the handle that travels through Microsoft's sign-in and the consent form.
    public var idHash: String
    public var clientId: String
    public var redirectURI: String
    public var codeChallenge: String
    public var resource: String
    public var scope: String
    /// The client's `state`, echoed back byte for byte.
    public var state: String?
    /// Set once the browser signed in (nil while the browser is at Microsoft).
    public var userId: String?
    public var createdAt: Int64
    public var expiresAt: Int64

    public init(
        idHash: String, clientId: String, redirectURI: String, codeChallenge: String, resource: String, scope: String,
        state: String?, userId: String?, createdAt: Int64, expiresAt: Int64
    ) {
        self.idHash = idHash
        self.clientId = clientId
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.resource = resource
        self.scope = scope
        self.state = state
        self.userId = userId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A remembered approval of a client by a user.
public struct OAuthConsentRecord: Sendable, Equatable {
    public var userId: String
    public var clientId: String
    public var scope: String
    public var createdAt: Int64

    public init(userId: String, clientId: String, scope: String, createdAt: Int64) {
        self.userId = userId
        self.clientId = clientId
        self.scope = scope
        self.createdAt = createdAt
    }
}

/// One approval that issued a code; every token derived from that code belongs to it.
public struct OAuthGrantRecord: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var clientId: String
    public var scope: String
    public var resource: String
    public var createdAt: Int64
    public var revokedAt: Int64?
    public var revokedReason: String?

    public init(
        id: String, userId: String, clientId: String, scope: String, resource: String, createdAt: Int64,
        revokedAt: Int64? = nil, revokedReason: String? = nil
    ) {
        self.id = id
        self.userId = userId
        self.clientId = clientId
        self.scope = scope
        self.resource = resource
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.revokedReason = revokedReason
    }
}

/// A single-use authorization code, bound to everything the token request must repeat.
public struct OAuthCodeRecord: Sendable, Equatable {
    public var codeHash: String
    public var grantId: String
    public var clientId: String
    public var userId: String
    public var redirectURI: String
    public var codeChallenge: String
    public var resource: String
    public var scope: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var usedAt: Int64?

    public init(
        codeHash: String, grantId: String, clientId: String, userId: String, redirectURI: String,
        codeChallenge: String, resource: String, scope: String, createdAt: Int64, expiresAt: Int64,
        usedAt: Int64? = nil
    ) {
        self.codeHash = codeHash
        self.grantId = grantId
        self.clientId = clientId
        self.userId = userId
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.resource = resource
        self.scope = scope
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// An access or refresh token of ours (hash only).
public struct OAuthTokenRecord: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case access
        case refresh
    }

    public var tokenHash: String
    public var kind: Kind
    public var grantId: String
    public var userId: String
    public var clientId: String
    public var scope: String
    /// The resource the token is for (`{public}/mcp`).
    public var audience: String
    public var createdAt: Int64
    public var expiresAt: Int64
    /// Refresh tokens: when it was exchanged for a new pair (presenting it again is reuse).
    public var rotatedAt: Int64?
    public var revokedAt: Int64?

    public init(
        tokenHash: String, kind: Kind, grantId: String, userId: String, clientId: String, scope: String,
        audience: String, createdAt: Int64, expiresAt: Int64, rotatedAt: Int64? = nil, revokedAt: Int64? = nil
    ) {
        self.tokenHash = tokenHash
        self.kind = kind
        self.grantId = grantId
        self.userId = userId
        self.clientId = clientId
        self.scope = scope
        self.audience = audience
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
        self.revokedAt = revokedAt
    }

    public var scopes: Set<String> { Set(scope.split(separator: " ").map(String.init)) }
}

/// What happened when a code was presented at the token endpoint.
public enum OAuthCodeConsumption: Sendable, Equatable {
    /// No such code.
    case notFound
    /// The code had been presented before: a replay.
    case replayed(OAuthCodeRecord)
    /// The code is now used (whatever the caller decides next, it cannot be presented again).
    case consumed(OAuthCodeRecord)
}

/// What happened when a refresh token was presented.
public enum OAuthRefreshOutcome: Sendable, Equatable {
    /// Unknown, expired or revoked (or its grant is revoked).
    case invalid
    /// The token had already been rotated: reuse. Nothing was issued.
    case reused(OAuthTokenRecord)
    /// The client id did not match the token's client. Nothing changed.
    case wrongClient(OAuthTokenRecord)
    /// Rotated: the old token is marked, the new ones stored.
    case rotated(old: OAuthTokenRecord)
}

/// A browser session of graphgate's own sign-in.
public struct BrowserSessionRecord: Sendable, Equatable {
    public var idHash: String
    public var userId: String
    public var createdAt: Int64
    public var lastSeenAt: Int64
    /// Absolute expiry.
    public var expiresAt: Int64

    public init(idHash: String, userId: String, createdAt: Int64, lastSeenAt: Int64, expiresAt: Int64) {
        self.idHash = idHash
        self.userId = userId
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}
