/// One thing that happened, for the audit log: who, what, outcome, and redacted details.
///
/// `type` is dotted and stable (`token.refresh`, `login.success`, `tool.call`, `admin.revoke`, …).
/// `details` must never hold a token, code, verifier, secret, cookie or message body; the recorder redacts
/// again before writing as a second line of defence.
public struct AuditEvent: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case success
        case failure
        case denied
    }

    public var type: String
    public var outcome: Outcome
    public var userId: String?
    public var clientId: String?
    public var sourceIP: String?
    public var details: [String: String]

    public init(
        _ type: String, outcome: Outcome = .success, userId: String? = nil, clientId: String? = nil,
        sourceIP: String? = nil, details: [String: String] = [:]
    ) {
        self.type = type
        self.outcome = outcome
        self.userId = userId
        self.clientId = clientId
        self.sourceIP = sourceIP
        self.details = details
    }
}

/// Where audit events go. Recording never throws to the caller: a failure to write is logged at `critical`
/// by the implementation (the request that caused it has already happened).
public protocol AuditRecorder: Sendable {
    func record(_ event: AuditEvent) async
}
