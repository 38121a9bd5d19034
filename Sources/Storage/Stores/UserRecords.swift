/// A person who signed in, keyed by their Microsoft identity (tenant id + object id), never by email.
public struct User: Sendable, Equatable, Codable {
    public var id: String
    public var tenantId: String
    public var objectId: String
    public var username: String
    public var displayName: String
    public var createdAt: Int64
    public var lastLoginAt: Int64

    public init(
        id: String, tenantId: String, objectId: String, username: String, displayName: String, createdAt: Int64,
        lastLoginAt: Int64
    ) {
        self.id = id
        self.tenantId = tenantId
        self.objectId = objectId
        self.username = username
        self.displayName = displayName
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }
}

/// A Microsoft account linked to a user. In server mode a user has exactly one (label `default`); on the
/// desktop (`graphgate login`) one person may link several, told apart by label.
public struct LinkedAccount: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case active
        /// Microsoft refused our refresh token (expired, revoked, consent withdrawn): the user must sign in again.
        case needsSignIn = "needs_sign_in"
    }

    public var id: String
    public var userId: String
    public var label: String
    public var tenantId: String
    public var objectId: String
    public var username: String
    /// Space-separated scopes Microsoft granted.
    public var grantedScopes: String
    public var status: Status
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, userId: String, label: String, tenantId: String, objectId: String, username: String,
        grantedScopes: String, status: Status, createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.userId = userId
        self.label = label
        self.tenantId = tenantId
        self.objectId = objectId
        self.username = username
        self.grantedScopes = grantedScopes
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var scopes: Set<String> { Self.scopes(granted: grantedScopes) }

    /// The scopes of a space-separated `grantedScopes` text.
    public static func scopes(granted: String) -> Set<String> { Set(granted.split(separator: " ").map(String.init)) }
}

/// A block on a subject (`user:ID` or `ip:ADDRESS`), until a time or (nil) until lifted.
public struct Block: Sendable, Equatable, Codable {
    public var subject: String
    public var blockedUntil: Int64?
    public var reason: String
    public var createdBy: String
    public var createdAt: Int64

    public init(subject: String, blockedUntil: Int64?, reason: String, createdBy: String, createdAt: Int64) {
        self.subject = subject
        self.blockedUntil = blockedUntil
        self.reason = reason
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    public func isActive(at now: Int64 = Timestamp.now) -> Bool { blockedUntil.map { $0 > now } ?? true }

    public static func userSubject(_ userId: String) -> String { "user:\(userId)" }
    public static func ipSubject(_ address: String) -> String { "ip:\(address)" }
}
