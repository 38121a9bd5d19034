/// Token-bucket rate limiting by key (`ip:ADDR`, `user:ID`, `client:ID`, each with a budget name).
public protocol RateLimiter: Sendable {
    /// Takes one request (or `cost`) from the bucket for `key` under `budget`.
    func take(_ key: String, budget: RateBudget, cost: Int) async -> RateDecision
}

extension RateLimiter {
    public func take(_ key: String, budget: RateBudget) async -> RateDecision {
        await take(key, budget: budget, cost: 1)
    }

    /// Whether the bucket still holds one whole request, without spending it (failure budgets are checked
    /// before a request and spent after it, only when it failed). Refused: `Retry-After` is the time one
    /// request takes to refill.
    public func peek(_ key: String, budget: RateBudget) async -> RateDecision {
        let decision = await take(key, budget: budget, cost: 0)
        guard decision.remaining < 1 else { return decision }
        let perRequestMs = budget.periodMs / Int64(budget.capacity)
        return RateDecision(
            allowed: false, retryAfterSeconds: Int(max(1, (perRequestMs + 999) / 1000)), remaining: 0)
    }
}
