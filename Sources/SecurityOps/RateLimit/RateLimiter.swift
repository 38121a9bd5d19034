/// Token-bucket rate limiting by key (`ip:ADDR`, `user:ID`, `client:ID`, each with a budget name).
public protocol RateLimiter: Sendable {
    /// Takes one request (or `cost`) from the bucket for `key` under `budget`. A negative cost gives requests
    /// back (never beyond the budget's capacity).
    func take(_ key: String, budget: RateBudget, cost: Int) async -> RateDecision
}

extension RateLimiter {
    public func take(_ key: String, budget: RateBudget) async -> RateDecision {
        await take(key, budget: budget, cost: 1)
    }

}
