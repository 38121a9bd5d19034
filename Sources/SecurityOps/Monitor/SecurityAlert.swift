/// An alert as posted to `GRAPHGATE_ALERT_WEBHOOK` (JSON). It names the rule, the subject and the count —
/// never a token, message or address beyond the subject's IP.
public struct SecurityAlert: Sendable, Equatable, Codable {
    /// Stable per (rule, subject, window): a receiver can drop repeats caused by retries.
    public var id: String
    public var rule: String
    public var subject: String
    public var count: Int64
    public var threshold: Int
    public var windowSeconds: Int64
    public var windowStart: Int64
    public var firedAt: Int64
    /// What graphgate did about it, if anything (`blocked until 1767225600`).
    public var action: String?
    public var source: String = "graphgate"

    enum CodingKeys: String, CodingKey {
        case id, rule, subject, count, threshold, source, action
        case windowSeconds = "window_seconds"
        case windowStart = "window_start"
        case firedAt = "fired_at"
    }
}
