/// The budgets graphgate enforces and which one applies where.
///
/// Before authentication every request spends from its source IP's `perIP` bucket, and the login, consent and
/// token endpoints, `/oauth/register`, the account page's sign-in and actions (`/account/…`) and the admin page's
/// actions (`/admin/…`) additionally from their own, smaller IP buckets. After authentication a tool call spends
/// from the user's and the OAuth client's buckets. Keys come from the TCP peer (or the client address a trusted
/// proxy reported) and from the authenticated identity, never from a header a client sets.
public struct RateLimitPolicy: Sendable {
    public var perIP: RateBudget
    public var login: RateBudget
    public var register: RateBudget
    public var toolCallsPerUser: RateBudget
    public var toolCallsPerClient: RateBudget

    public init(
        perIP: RateBudget = RateBudget(name: "ip", capacity: 600, period: .seconds(60)),
        login: RateBudget = RateBudget(name: "login", capacity: 30, period: .seconds(60)),
        register: RateBudget = RateBudget(name: "register", capacity: 10, period: .seconds(3600)),
        toolCallsPerUser: RateBudget = RateBudget(name: "tool", capacity: 120, period: .seconds(60)),
        toolCallsPerClient: RateBudget = RateBudget(name: "tool-client", capacity: 600, period: .seconds(60))
    ) {
        self.perIP = perIP
        self.login = login
        self.register = register
        self.toolCallsPerUser = toolCallsPerUser
        self.toolCallsPerClient = toolCallsPerClient
    }

    /// The defaults with `toolCallsPerMinute` per user (`GRAPHGATE_RATE_LIMIT`) and 5× that per client.
    public static func standard(toolCallsPerMinute: Int) -> RateLimitPolicy {
        RateLimitPolicy(
            toolCallsPerUser: RateBudget(name: "tool", capacity: toolCallsPerMinute, period: .seconds(60)),
            toolCallsPerClient: RateBudget(name: "tool-client", capacity: toolCallsPerMinute * 5, period: .seconds(60)))
    }

    /// The extra pre-authentication budget of a path, if it has one.
    public func endpointBudget(path: String) -> RateBudget? {
        if path == "/oauth/register" || path.hasPrefix("/oauth/register/") { return register }
        let loginPrefixes = [
            "/oauth/authorize", "/oauth/callback", "/oauth/token", "/oauth/consent", "/login", "/auth/", "/account/",
            "/admin/",
        ]
        return loginPrefixes.contains { path.hasPrefix($0) } ? login : nil
    }
}
