import Foundation

/// The budgets graphgate enforces and which one applies where. Sized for an office behind one address.
///
/// - `ip`: every request that carries no bearer token spends from its address's general bucket.
/// - `login_failures`: the login, consent and token endpoints, the account page's sign-in and actions
///   (`/account/…`) and the admin page's actions (`/admin/…`) spend from it only when they fail (a bad code, a
///   refused consent, a bad client secret); once it is empty the address gets 429 there until it refills.
/// - `register`: invalid registrations at `/oauth/register`, counted the same way.
/// - `bearer_failures`: requests to `/mcp` whose bearer token is invalid. Once empty, further invalid bearers
///   from that address get 429; a valid bearer never spends from or is refused by any per-address budget.
/// - `tool` / `tool_client`: after authentication, each tool call spends from its user's bucket and from the bucket
///   of that user with that client (set `tool_client` below `tool` to keep one app from using a person's whole
///   budget; one client id serves every user of an app, so it is never a bucket shared between people).
///
/// Address keys are the TCP peer (or what a trusted proxy reported), IPv6 cut to its /64; never a header a
/// client sets.
public struct RateLimitPolicy: Sendable {
    public var perIP: RateBudget
    public var loginFailures: RateBudget
    public var registerFailures: RateBudget
    public var bearerFailures: RateBudget
    public var toolCallsPerUser: RateBudget
    public var toolCallsPerClient: RateBudget

    public init(
        perIP: RateBudget = RateBudget(name: "ip", capacity: 600, period: .seconds(60)),
        loginFailures: RateBudget = RateBudget(name: "login_failures", capacity: 30, period: .seconds(300)),
        registerFailures: RateBudget = RateBudget(name: "register", capacity: 100, period: .seconds(3600)),
        bearerFailures: RateBudget = RateBudget(name: "bearer_failures", capacity: 60, period: .seconds(60)),
        toolCallsPerUser: RateBudget = RateBudget(name: "tool", capacity: 120, period: .seconds(60)),
        toolCallsPerClient: RateBudget = RateBudget(name: "tool_client", capacity: 600, period: .seconds(60))
    ) {
        self.perIP = perIP
        self.loginFailures = loginFailures
        self.registerFailures = registerFailures
        self.bearerFailures = bearerFailures
        self.toolCallsPerUser = toolCallsPerUser
        self.toolCallsPerClient = toolCallsPerClient
    }

    /// The defaults with `toolCallsPerMinute` per user (`GRAPHGATE_RATE_LIMIT`) and 5× that per client.
    public static func standard(toolCallsPerMinute: Int) -> RateLimitPolicy {
        RateLimitPolicy(
            toolCallsPerUser: RateBudget(name: "tool", capacity: toolCallsPerMinute, period: .seconds(60)),
            toolCallsPerClient: RateBudget(name: "tool_client", capacity: toolCallsPerMinute * 5, period: .seconds(60)))
    }

    /// The budget names `GRAPHGATE_RATE_LIMITS` accepts.
    public static let names = ["ip", "login_failures", "register", "bearer_failures", "tool", "tool_client"]

    /// Overrides budgets from `name=count/period` entries (`ip=600/1m,login_failures=30/5m`); a `tool` entry
    /// without a `tool_client` one also sets the per-client budget to 5× it. Throws the entry that is wrong.
    public func overriding(_ entries: [String]) throws(SecurityError) -> RateLimitPolicy {
        var policy = self
        var clientSet = false
        for entry in entries {
            let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let parts = pair.count == 2 ? pair[1].split(separator: "/").map(String.init) : []
            guard pair.count == 2, parts.count == 2, let count = Int(parts[0]), (1...10_000_000).contains(count),
                let period = try? IncidentResponder.parseDuration(parts[1])
            else { throw .invalidRateLimit(entry) }
            let budget = RateBudget(name: pair[0], capacity: count, period: period)
            switch pair[0] {
            case "ip": policy.perIP = budget
            case "login_failures": policy.loginFailures = budget
            case "register": policy.registerFailures = budget
            case "bearer_failures": policy.bearerFailures = budget
            case "tool":
                policy.toolCallsPerUser = budget
                if !clientSet {
                    policy.toolCallsPerClient = RateBudget(name: "tool_client", capacity: count * 5, period: period)
                }
            case "tool_client":
                policy.toolCallsPerClient = budget
                clientSet = true
            default: throw .invalidRateLimit(entry)
            }
        }
        return policy
    }

    /// The failure budget of a pre-authentication path, if it has one.
    public func failureBudget(path: String) -> RateBudget? {
        if path == "/oauth/register" || path.hasPrefix("/oauth/register/") { return registerFailures }
        let loginPrefixes = [
            "/oauth/authorize", "/oauth/callback", "/oauth/token", "/oauth/consent", "/login", "/auth/", "/account/",
            "/admin/",
        ]
        return loginPrefixes.contains { path.hasPrefix($0) } ? loginFailures : nil
    }

    /// The longest period of any budget (a bucket idle that long is full again).
    public var longestPeriodMs: Int64 {
        [perIP, loginFailures, registerFailures, bearerFailures, toolCallsPerUser, toolCallsPerClient].map(\.periodMs)
            .max() ?? 60_000
    }
}
