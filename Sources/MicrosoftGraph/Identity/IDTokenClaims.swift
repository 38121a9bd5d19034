import Foundation

/// The verified facts of a Microsoft id_token. Users are keyed by (`tenantId`, `objectId`), never by email.
public struct IDTokenClaims: Sendable, Equatable {
    /// `tid`
    public var tenantId: String
    /// `oid`
    public var objectId: String
    /// `preferred_username` (display only; can change, not unique across tenants).
    public var username: String
    /// `name`
    public var displayName: String
    public var issuer: String
    public var expiresAt: Date

    public init(
        tenantId: String, objectId: String, username: String, displayName: String, issuer: String, expiresAt: Date
    ) {
        self.tenantId = tenantId
        self.objectId = objectId
        self.username = username
        self.displayName = displayName
        self.issuer = issuer
        self.expiresAt = expiresAt
    }
}
