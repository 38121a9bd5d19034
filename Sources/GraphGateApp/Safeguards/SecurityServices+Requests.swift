import HTTPTypes
import Hummingbird
import SecurityOps
import Storage

extension SecurityServices {
    /// After authentication, for every tool call: the call spends from the user's budget and from the budget of
    /// this user with this OAuth client. Returns the response to send instead (429), or nil to go on. (A blocked
    /// user never gets this far: the bearer check refuses them, through ``userBlock(_:)``.) The client's budget is
    /// per person: one client id serves every user of an app (a metadata document's URL, or a registration reused
    /// for the same metadata), so a budget per client alone would let five busy people lock everyone else out.
    /// - Parameter rpcID: the JSON text of the call's JSON-RPC id, which a refusal carries (made only then).
    public func checkToolCall(
        userId: String, clientId: String, rpcID: @autoclosure () -> String = "null", path: String = "/mcp"
    ) async -> Response? {
        for (key, budget) in [
            ("user:\(userId)", rateLimits.toolCallsPerUser),
            ("client:\(clientId)|user:\(userId)", rateLimits.toolCallsPerClient),
        ] {
            let decision = await rateLimiter.take(key, budget: budget)
            if !decision.allowed {
                return await rateLimited(decision, budget: budget, subject: key, path: path, rpcID: rpcID())
            }
        }
        return nil
    }

    /// An invalid bearer token from `sourceIP` spends from the address's `bearer_failures` budget; once it is
    /// spent the answer is 429 (returned) instead of 401. Valid tokens never spend from it.
    public func checkBearerFailure(sourceIP: String?, path: String = "/mcp") async -> Response? {
        guard let sourceIP else { return nil }
        let key = ClientAddressResolver.limiterKey(sourceIP)
        let decision = await rateLimiter.take(key, budget: rateLimits.bearerFailures)
        return decision.allowed
            ? nil : await rateLimited(decision, budget: rateLimits.bearerFailures, subject: key, path: path)
    }

    /// A request refused by `budget`: counted in `graphgate_rate_limit_hits_total`, reported to the monitor as a
    /// rate-limit hit of `subject`, answered 429 with `Retry-After`.
    func rateLimited(
        _ decision: RateDecision, budget: RateBudget, subject: String, path: String, rpcID: String = "null"
    ) async -> Response {
        SecurityMetrics.rateLimitHit(budget)
        await monitor.report(.rateLimitHit, subjects: [subject])
        return SecurityResponses.tooManyRequests(decision, budget: budget.name, path: path, rpcID: rpcID)
    }

    /// The block in force on a user: the one check every bearer request at `/mcp` and every token issuance
    /// make. From memory in the steady state; a store that cannot be read throws (never "not blocked").
    public func userBlock(_ userId: String) async throws -> Block? {
        try await block(subject: Block.userSubject(userId))
    }

    /// The block in force on a client address. An unreadable store counts as no block here: the address check
    /// runs before anything else and must not take the whole server down with the store.
    func activeBlock(subject: String) async -> Block? {
        try? await block(subject: subject)
    }

    /// The block in force on `subject` (`ip:…`, `user:…`), from the in-memory copy of every block in force; a
    /// block that expired since the copy was read no longer counts.
    private func block(subject: String) async throws -> Block? {
        guard let blocks else { return try await users.activeBlock(subject: subject) }
        return try await blocks.current()[subject].flatMap { $0.isActive() ? $0 : nil }
    }
}
