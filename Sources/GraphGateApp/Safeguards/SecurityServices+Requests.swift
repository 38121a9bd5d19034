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
        guard let block = await activeBlock(subject: Block.userSubject(userId)) else { return nil }
        return SecurityResponses.blocked(block, path: path)
    }

    /// The block in force on `subject`, from the block cache when it holds the subject. An unreadable store
    /// counts as no block here (the bearer and sign-in checks refuse on their own).
    func activeBlock(subject: String) async -> Block? {
        guard let blocks else { return try? await users.activeBlock(subject: subject) }
        let cached = await blocks.lookup(subject)
        if let lookup = cached.value { return lookup.block.flatMap { $0.isActive() ? $0 : nil } }
        let block: Block?
        do {
            block = try await users.activeBlock(subject: subject)
        } catch {
            return nil  // not kept: the next request asks the store again
        }
        blocks.store(BlockLookup(block: block), for: subject, generation: cached.generation)
        return block
    }
}

/// A cached block check: the block in force then, or none.
struct BlockLookup: Sendable {
    let block: Block?
}
