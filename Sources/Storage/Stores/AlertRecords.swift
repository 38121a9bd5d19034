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

/// The monitor's counters of one signal summed over recent windows, per kind of subject (`ip`, `user`,
/// `client`): one event counts once for each subject it was reported for.
public struct SecurityCounterTotal: Sendable, Equatable {
    public var rule: String
    /// `ip`, `user`, `client` or `other`.
    public var subjectKind: String
    public var total: Int64
    /// Distinct subjects of that kind.
    public var subjects: Int64

    public init(rule: String, subjectKind: String, total: Int64, subjects: Int64) {
        self.rule = rule
        self.subjectKind = subjectKind
        self.total = total
        self.subjects = subjects
    }
}
