import JSONText

/// A token bucket's shape: `capacity` requests at once, refilled evenly over `period`.
public struct RateBudget: Sendable, Equatable {
    /// A name for logs, metrics and the bucket key (`login`, `register`, `tool`, `ip`).
    public var name: String
    public var capacity: Int
    public var period: Duration

    public init(name: String, capacity: Int, period: Duration) {
        self.name = name
        self.capacity = max(1, capacity)
        self.period = period
    }

    public var periodMs: Int64 { max(1, period.inMilliseconds) }

    /// Nano-tokens per whole token (the integer unit of the shared buckets).
    static let scale: Int64 = 1_000_000_000
    var capacityScaled: Int64 { Int64(capacity) * Self.scale }
    var refillPerMsScaled: Int64 { max(1, capacityScaled / periodMs) }
}

/// The answer of a rate limiter.
public struct RateDecision: Sendable, Equatable {
    public var allowed: Bool
    /// Whole seconds until one more request would be allowed (0 when allowed).
    public var retryAfterSeconds: Int
    /// Whole requests left in the bucket after this one.
    public var remaining: Int

    public init(allowed: Bool, retryAfterSeconds: Int, remaining: Int) {
        self.allowed = allowed
        self.retryAfterSeconds = retryAfterSeconds
        self.remaining = remaining
    }

    static func from(allowed: Bool, tokensScaled: Int64, budget: RateBudget, cost: Int64) -> RateDecision {
        let missing = max(0, cost - tokensScaled)
        let waitMs = allowed ? 0 : (missing + budget.refillPerMsScaled - 1) / budget.refillPerMsScaled
        return RateDecision(
            allowed: allowed, retryAfterSeconds: allowed ? 0 : Int(max(1, (waitMs + 999) / 1000)),
            remaining: Int(max(0, tokensScaled) / RateBudget.scale))
    }
}
