/// One row of the audit chain as stored. `details` is canonical JSON text (sorted keys), `hash` lower-case hex of
/// SHA-256(previous hash ‖ canonical row) — computed by the Security module, stored here.
public struct AuditRow: Sendable, Equatable, Codable {
    public var seq: Int64
    public var at: Int64
    public var eventType: String
    public var outcome: String
    public var userId: String?
    public var clientId: String?
    public var sourceIP: String?
    public var details: String
    public var hash: String

    public init(
        seq: Int64, at: Int64, eventType: String, outcome: String, userId: String?, clientId: String?,
        sourceIP: String?, details: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.eventType = eventType
        self.outcome = outcome
        self.userId = userId
        self.clientId = clientId
        self.sourceIP = sourceIP
        self.details = details
        self.hash = hash
    }
}

/// A recorded (seq, hash) of the chain head with an HMAC over both, made with a key the database does not hold.
public struct AuditSignedHead: Sendable, Equatable, Codable {
    public var seq: Int64
    public var hash: String
    public var signedAt: Int64
    public var keyId: String
    public var mac: String

    public init(seq: Int64, hash: String, signedAt: Int64, keyId: String, mac: String) {
        self.seq = seq
        self.hash = hash
        self.signedAt = signedAt
        self.keyId = keyId
        self.mac = mac
    }
}
