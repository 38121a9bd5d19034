import Foundation
import Logging
import Storage

/// Buckets in the database, so every instance on one PostgreSQL spends the same budget.
///
/// Accuracy/cost: each request costs one round trip (a single upsert statement), and the limit is exact
/// across instances — no instance can overspend, because the refill-and-take runs atomically in the database.
/// The alternative (local buckets, each with budget ÷ instances) costs nothing per request but lets a client
/// that sticks to one instance get only 1/N of its budget and one spread across N get up to N×, so it was not
/// chosen. If the database errors, the request is allowed (fail open) and the error logged: the database
/// being down already fails every real request.
public struct SharedRateLimiter: RateLimiter {
    let store: any RateLimitStore
    let logger: Logger
    let clock: @Sendable () -> Int64

    public init(
        store: any RateLimitStore, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.store = store
        self.logger = logger
        self.clock = clock
    }

    public func take(_ key: String, budget: RateBudget, cost: Int) async -> RateDecision {
        let costScaled = Int64(cost) * RateBudget.scale
        do {
            let (allowed, tokens) = try await store.take(
                key: budget.name + "|" + key, capacity: budget.capacityScaled,
                refillPerMs: budget.refillPerMsScaled, cost: costScaled, nowMs: clock())
            return RateDecision.from(allowed: allowed, tokensScaled: tokens, budget: budget, cost: costScaled)
        } catch {
            logger.error("rate limit store failed; allowing", metadata: ["gg.error": "\(error.description)"])
            return RateDecision(allowed: true, retryAfterSeconds: 0, remaining: 0)
        }
    }
}
