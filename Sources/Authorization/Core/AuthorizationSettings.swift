/// What our authorization server needs to know about where it runs, and its lifetimes.
public struct AuthorizationSettings: Sendable {
    /// Our issuer: the public URL without a trailing slash. Byte-identical in RFC 9728 and RFC 8414 metadata and
    /// in the `iss` authorization response parameter (RFC 9207).
    public var issuer: String
    /// The protected resource (`{public}/mcp`): the only audience our access tokens carry.
    public var resource: String
    /// Scopes offered (`mcp`, and `mcp:write` unless the deployment is read-only).
    public var scopesSupported: [String]
    /// Seconds.
    public var accessTokenLifetime: Int64 = 3600
    public var refreshTokenLifetime: Int64 = 30 * 24 * 3600
    public var codeLifetime: Int64 = 60
    public var pendingLifetime: Int64 = 15 * 60
    public var browserSessionIdleTimeout: Int64 = 30 * 60
    public var browserSessionAbsoluteTimeout: Int64 = 12 * 3600
    /// How long a grant lasts at most from its approval: refreshes never extend it (`GRAPHGATE_GRANT_MAX_DAYS`).
    public var grantMaxLifetime: Int64 = 90 * 86400
    /// Dynamically registered clients with no token issued for this long are deleted (seconds); those never
    /// issued one, a week after registering (or after this, if shorter).
    public var clientIdleLifetime: Int64 = 180 * 86_400
    /// Whether https `client_id`s (Client ID Metadata Documents) are fetched; set by `AuthorizationServer`.
    public var clientIdMetadataDocuments = false

    public init(issuer: String, resource: String, scopesSupported: [String]) {
        self.issuer = issuer
        self.resource = resource
        self.scopesSupported = scopesSupported
    }

    public var authorizationEndpoint: String { issuer + "/oauth/authorize" }
    public var tokenEndpoint: String { issuer + "/oauth/token" }
    public var registrationEndpoint: String { issuer + "/oauth/register" }
    public var revocationEndpoint: String { issuer + "/oauth/revoke" }
    /// Where Microsoft sends the browser back to.
    public var callbackURL: String { issuer + "/oauth/callback" }
    /// Whether a `resource` parameter (RFC 8707) names our MCP endpoint, compared in the form RFC 3986 §6.2.2–6.2.3
    /// makes canonical (MCP's canonical server URI): scheme and host without case, the scheme's default port left
    /// out (`https://host:443/mcp` is `https://host/mcp`), one trailing slash after the path ignored (a client
    /// configured with `…/mcp/` reaches the same endpoint); the path itself compared exactly.
    public func isOurResource(_ resource: String) -> Bool {
        Self.canonicalResource(resource) == Self.canonicalResource(self.resource)
    }

    /// `uri` with its scheme and authority lower-cased, a default port dropped and one trailing slash after a
    /// non-empty path removed (the path's case and any query unchanged).
    static func canonicalResource(_ uri: String) -> String {
        guard let separator = uri.range(of: "://") else { return uri }
        let scheme = uri[..<separator.lowerBound].lowercased()
        let rest = uri[separator.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<end].lowercased()
        let defaultPort = scheme == "https" ? ":443" : scheme == "http" ? ":80" : nil
        if let defaultPort, authority.hasSuffix(defaultPort) {
            authority.removeLast(defaultPort.count)
        }
        var tail = rest[end...]
        let queryStart = tail.firstIndex { $0 == "?" || $0 == "#" } ?? tail.endIndex
        var path = tail[..<queryStart]
        if path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        tail = tail[queryStart...]
        return scheme + "://" + authority + path + tail
    }

    /// RFC 9728 metadata of the MCP resource (the URL `WWW-Authenticate` points to).
    public var protectedResourceMetadataURL: String { issuer + "/.well-known/oauth-protected-resource/mcp" }
    /// Whether cookies must carry `Secure` (https) or are on loopback http.
    public var isHTTPS: Bool { issuer.lowercased().hasPrefix("https://") }
}
