import HTTPTypes
import Hummingbird
import SecurityOps
import Storage

extension SecurityServices {
    /// After authentication, for every tool call: the user must not be blocked, and the call spends from the
    /// user's and the OAuth client's budgets. Returns the response to send instead (403 or 429), or nil to go on.
    public func checkToolCall(userId: String, clientId: String, path: String = "/mcp") async -> Response? {
        if let denied = await checkUser(userId: userId, path: path) { return denied }
        for (key, budget) in [
            ("user:\(userId)", rateLimits.toolCallsPerUser), ("client:\(clientId)", rateLimits.toolCallsPerClient),
        ] {
            let decision = await rateLimiter.take(key, budget: budget)
            if !decision.allowed { return await rateLimited(decision, budget: budget, subject: key, path: path) }
        }
        return nil
    }

    /// A request refused by `budget`: counted in `graphgate_rate_limit_hits_total`, reported to the monitor as a
    /// rate-limit hit of `subject`, answered 429 with `Retry-After`.
    func rateLimited(_ decision: RateDecision, budget: RateBudget, subject: String, path: String) async -> Response {
        SecurityMetrics.rateLimitHit(budget)
        await monitor.report(.rateLimitHit, subjects: [subject])
        return SecurityResponses.tooManyRequests(decision, budget: budget.name, path: path)
    }

    /// A blocked user gets 403 on every path (bearer-authenticated requests, browser sessions, the sign-in
    /// callback). Returns the response to send, or nil when the user is not blocked.
    public func checkUser(userId: String, path: String) async -> Response? {
        guard let block = try? await users.activeBlock(subject: Block.userSubject(userId)) else { return nil }
        return SecurityResponses.blocked(block, path: path)
    }
}
