import MCP

/// One MCP session: its own `Server` and `StatefulHTTPServerTransport`, bound for life to one principal
/// (user, client, grant). Nothing in it is shared with another session.
public struct MCPSession: Sendable {
    public let id: String
    public let principal: MCPPrincipal
    let server: Server
    let transport: StatefulHTTPServerTransport
    let createdAt: ContinuousClock.Instant

    /// True when `principal` may use this session: same user, same client, same grant.
    func accepts(_ other: MCPPrincipal) -> Bool {
        principal.userId == other.userId && principal.clientId == other.clientId
            && principal.grantId == other.grantId
    }
}

/// Hands the transport the id graphgate generated (256 random bits, base64url) instead of a UUID.
struct FixedSessionID: SessionIDGenerator {
    let id: String
    func generateSessionID() -> String { id }
}
