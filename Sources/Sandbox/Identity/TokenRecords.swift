import Foundation

/// What the tenant remembers about an issued access token.
struct AccessTokenRecord: Sendable {
    let userIndex: Int
    let clientId: String
    let scopes: Set<String>
    let issuedAt: Date
    var expiresAt: Date
}

/// What the tenant remembers about an issued refresh token.
struct RefreshTokenRecord: Sendable {
    let userIndex: Int
    let clientId: String
    let scopes: Set<String>
    let issuedAt: Date
    var lastUsed: Date
    var revokedAt: Date?
}

/// A pending authorization code.
struct AuthorizationCodeRecord: Sendable {
    let userIndex: Int
    let clientId: String
    let redirectURI: String
    let scopes: Set<String>
    let nonce: String?
    let codeChallenge: String?
    let codeChallengeMethod: String?
    let expiresAt: Date
    var redeemed: Bool = false
}

/// A device code and its approval state.
struct DeviceCodeRecord: Sendable {
    enum Status: Sendable, Equatable { case pending, approved(userIndex: Int), declined, redeemed }
    let deviceCode: String
    let userCode: String
    let clientId: String
    let scopes: Set<String>
    let expiresAt: Date
    var status: Status = .pending
}

/// One Graph request, for isolation tests: who (token owner, client) touched which mailbox.
struct RequestLogEntry: Sendable {
    let time: Date
    let requestId: String
    let tokenUser: String
    let mailbox: String
    let clientId: String
    let tokenFingerprint: String
    let method: String
    let path: String
    var status: Int

    func json() -> JSONValue {
        .object([
            ("time", .string(WireFormat.iso(time))), ("requestId", .string(requestId)),
            ("tokenUser", .string(tokenUser)), ("mailbox", .string(mailbox)), ("clientId", .string(clientId)),
            ("tokenFingerprint", .string(tokenFingerprint)), ("method", .string(method)), ("path", .string(path)),
            ("status", .int(status)),
        ])
    }
}
