import Crypto
import JSONText
import Foundation

/// A usable Microsoft access token of one account, as the coordinator hands it out and caches it in memory.
struct AccessGrant: Sendable {
    let token: String
    let expiresAt: Date
    let obtainedAt: Date
    /// SHA-256 prefix of the token: how a caller names "the token Graph just rejected" without keeping it.
    let fingerprint: String
    /// Set when a proactive refresh failed transiently and the still-valid token was handed out: no new attempt
    /// before this time.
    var retryNotBefore: Date?

    init(token: String, expiresAt: Date, obtainedAt: Date, retryNotBefore: Date? = nil) {
        self.token = token
        self.expiresAt = expiresAt
        self.obtainedAt = obtainedAt
        self.fingerprint = Self.fingerprint(token)
        self.retryNotBefore = retryNotBefore
    }

    static func fingerprint(_ token: String) -> String {
        Hex.string(SHA256.hash(data: Data(token.utf8)).prefix(16))
    }

    /// Good to hand out without refreshing: outside the proactive margin, or inside it while a failed refresh
    /// backs off and the token still has 30 seconds.
    func isUsable(margin: TimeInterval, now: Date = Date()) -> Bool {
        let left = expiresAt.timeIntervalSince(now)
        if left > margin { return true }
        if let retryNotBefore, retryNotBefore > now, left > 30 { return true }
        return false
    }
}

/// Which token a forced refresh is about.
enum Rejection: Sendable, Equatable {
    /// Not forced.
    case none
    /// Graph rejected this token (by fingerprint): any other valid token will do.
    case token(String)
    /// Forced without knowing the token: the stored access token must not be reused.
    case anyStored

    func rejects(_ fingerprint: String) -> Bool {
        switch self {
        case .none: false
        case .token(let rejected): rejected == fingerprint
        case .anyStored: true
        }
    }
}

/// The account a token is for.
struct AccountRef: Sendable, Hashable {
    let userId: String
    let accountId: String
}
