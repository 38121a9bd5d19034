/// An alert the monitor fired: a rule's threshold crossed for one subject in one window.
public struct AlertRecord: Sendable, Equatable, Codable {
    public var id: String
    public var rule: String
    /// `ip:ADDR`, `user:ID`, `client:ID`.
    public var subject: String
    public var windowStart: Int64
    public var count: Int64
    public var firedAt: Int64

    public init(id: String, rule: String, subject: String, windowStart: Int64, count: Int64, firedAt: Int64) {
        self.id = id
        self.rule = rule
        self.subject = subject
        self.windowStart = windowStart
        self.count = count
        self.firedAt = firedAt
    }
}
