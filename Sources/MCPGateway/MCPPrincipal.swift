/// Who an MCP session or request runs as: taken from a bearer token we issued for this resource, nothing else.
public struct MCPPrincipal: Sendable, Equatable, Hashable {
    public var userId: String
    /// Our OAuth client id (the MCP client application), or `stdio` on the desktop.
    public var clientId: String
    /// The grant (consent) the token belongs to; revoking it ends every session of the grant.
    public var grantId: String
    /// Scopes of our access token (not Microsoft's).
    public var scopes: Set<String>
    /// Desktop (stdio) mode only: tools may take an `account` label to pick one of several linked accounts.
    public var allowsAccountSelection: Bool

    public init(
        userId: String, clientId: String, grantId: String, scopes: Set<String>, allowsAccountSelection: Bool = false
    ) {
        self.userId = userId
        self.clientId = clientId
        self.grantId = grantId
        self.scopes = scopes
        self.allowsAccountSelection = allowsAccountSelection
    }

    /// Our scope that lets a client change or send anything (`OAuthScopes.write`; the name is part of the
    /// protocol, so it is repeated here rather than imported from `Authorization`).
    public static let writeScope = "mcp:write"

    /// Whether this request's token may call write tools.
    public var canWrite: Bool { scopes.contains(Self.writeScope) }
}
