import Foundation
import Synchronization

/// Buckets in this process's memory: exact and free for a single instance (SQLite deployments).
public final class InMemoryRateLimiter: RateLimiter {
    private struct Bucket {
        var tokens: Int64
        var updatedMs: Int64
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: @Sendable () -> Int64

    /// `clock` gives the time in milliseconds (tests move it by hand).
    public init(clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.clock = clock
    }

    public func take(_ key: String, budget: RateBudget, cost: Int) async -> RateDecision {
        takeNow(key, budget: budget, cost: cost)
    }

    public func takeNow(_ key: String, budget: RateBudget, cost: Int = 1) -> RateDecision {
        let now = clock()
        let costScaled = Int64(cost) * RateBudget.scale
        let fullKey = budget.name + "|" + key
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { Self.prune(&buckets, now: now, budget: budget) }
            var bucket = buckets[fullKey] ?? Bucket(tokens: budget.capacityScaled, updatedMs: now)
            if now > bucket.updatedMs {
                let elapsed = now - bucket.updatedMs
                let full = budget.capacityScaled / budget.refillPerMsScaled + 1
                bucket.tokens =
                    elapsed >= full
                    ? budget.capacityScaled
                    : min(budget.capacityScaled, bucket.tokens + elapsed * budget.refillPerMsScaled)
                bucket.updatedMs = now
            }
            let allowed = bucket.tokens >= costScaled
            if allowed { bucket.tokens -= costScaled }
            buckets[fullKey] = bucket
            return RateDecision.from(allowed: allowed, tokensScaled: bucket.tokens, budget: budget, cost: costScaled)
        }
    }

    /// Drops buckets idle for longer than a full refill (they are full again, the same as absent).
    private static func prune(_ buckets: inout [String: Bucket], now: Int64, budget: RateBudget) {
        let horizon = now - max(budget.periodMs, 3_600_000)
        buckets = buckets.filter { $0.value.updatedMs >= horizon }
    }
}
