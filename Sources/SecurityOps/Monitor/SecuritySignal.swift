/// Something the monitor counts. Callers report each occurrence with the subject it concerns
/// (`ip:ADDR`, `user:ID`, `client:ID`); failed sign-ins are usually reported for both the IP and the user.
public enum SecuritySignal: String, Sendable, CaseIterable, Codable {
    /// A failed authentication: failed sign-in, bad client credentials, PKCE mismatch.
    case failedAuth = "failed_auth"
    /// A request to `/mcp` with an invalid, expired or revoked bearer token (a stale client is enough: counted
    /// apart from `failed_auth`, so it never blocks the address's sign-ins).
    case invalidBearer = "invalid_bearer"
    /// A request for another user's session or object (an MCP session id of someone else, a foreign grant).
    case crossUserAccess = "cross_user_access"
    /// Microsoft refused a refresh token.
    case refreshFailure = "refresh_failure"
    /// A token blob failed to decrypt (tampered, wrong key, disabled key).
    case decryptFailure = "decrypt_failure"
    /// A request was refused by a rate limit.
    case rateLimitHit = "rate_limit_hit"
    /// A user sent mail (a burst can mean a compromised assistant).
    case send
}
