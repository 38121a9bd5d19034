/// The token endpoint's success body (RFC 6749 §5.1). Sent with `Cache-Control: no-store`.
public struct TokenResponse: Encodable, Sendable {
    public var accessToken: String
    public var tokenType = "Bearer"
    public var expiresIn: Int64
    public var refreshToken: String
    public var scope: String

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case scope
    }
}

/// Who an access token speaks for (after it was found, unexpired, unrevoked, and for our resource).
public struct AccessTokenInfo: Sendable, Equatable {
    public var userId: String
    public var clientId: String
    public var grantId: String
    public var scopes: Set<String>
    public var expiresAt: Int64
}

/// The result of checking a bearer token.
public enum BearerCheck: Sendable, Equatable {
    case valid(AccessTokenInfo)
    /// Not a token we issued, expired, revoked, a refresh token, or for another audience.
    case invalid(reason: String)
}
