/// How a Graph client retries throttled and failed calls and how long it waits for one.
public struct GraphRetryPolicy: Sendable {
    /// Attempts per call including the first (a 401 refresh retry does not count).
    public var maxAttempts: Int
    /// Longest `Retry-After` the client waits for itself; a longer one is returned as `throttled`.
    public var maxRetryAfterSeconds: Int
    /// Base of the exponential back-off when the answer has no `Retry-After`.
    public var baseDelayMilliseconds: Int
    /// Share of extra random delay added to every wait (0.2 = up to +20 %).
    public var jitter: Double
    /// Deadline of one HTTP exchange.
    public var timeoutSeconds: Int

    public init(
        maxAttempts: Int = 4, maxRetryAfterSeconds: Int = 10, baseDelayMilliseconds: Int = 250, jitter: Double = 0.2,
        timeoutSeconds: Int = 30
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.maxRetryAfterSeconds = max(0, maxRetryAfterSeconds)
        self.baseDelayMilliseconds = max(1, baseDelayMilliseconds)
        self.jitter = min(max(jitter, 0), 1)
        self.timeoutSeconds = max(1, timeoutSeconds)
    }

    /// Milliseconds to wait before attempt `attempt + 1`, given the server's `Retry-After` if any.
    func delayMilliseconds(attempt: Int, retryAfter: Int?) -> Int {
        let base: Int
        if let retryAfter {
            base = retryAfter * 1000
        } else {
            base = min(baseDelayMilliseconds << min(attempt - 1, 6), maxRetryAfterSeconds * 1000)
        }
        let extra = Double(max(base, baseDelayMilliseconds)) * Double.random(in: 0...jitter)
        return base + Int(extra)
    }
}
