import Foundation

/// One encrypted Microsoft token of a linked account. `blob` is an envelope the vault made; the store never sees
/// plaintext.
public struct TokenBlob: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case refresh
        case access
    }

    public var accountId: String
    public var userId: String
    public var kind: Kind
    /// The keyring key the envelope was sealed with (also inside the envelope).
    public var keyId: Int64
    public var blob: Data
    /// Access token expiry (epoch seconds); 0 for refresh tokens.
    public var expiresAt: Int64
    /// When Microsoft issued it (epoch seconds).
    public var obtainedAt: Int64
    public var updatedAt: Int64

    public init(
        accountId: String, userId: String, kind: Kind, keyId: Int64, blob: Data, expiresAt: Int64, obtainedAt: Int64,
        updatedAt: Int64 = Timestamp.now
    ) {
        self.accountId = accountId
        self.userId = userId
        self.kind = kind
        self.keyId = keyId
        self.blob = blob
        self.expiresAt = expiresAt
        self.obtainedAt = obtainedAt
        self.updatedAt = updatedAt
    }
}

/// A Microsoft sign-in that was started and not finished yet (≤ 10 minutes).
public struct PendingSignIn: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the `state` sent to Microsoft (the state itself is never stored).
    public var stateHash: String
    public var continuation: String
    public var redirectURI: String
    /// Space-separated scopes asked for.
    public var scopes: String
    /// Lowercase hex SHA-256 of the `nonce`.
    public var nonceHash: String
    public var keyId: Int64
    /// The PKCE verifier, sealed by the vault.
    public var verifierBlob: Data
    public var createdAt: Int64
    public var expiresAt: Int64

    public init(
        stateHash: String, continuation: String, redirectURI: String, scopes: String, nonceHash: String, keyId: Int64,
        verifierBlob: Data, createdAt: Int64, expiresAt: Int64
    ) {
        self.stateHash = stateHash
        self.continuation = continuation
        self.redirectURI = redirectURI
        self.scopes = scopes
        self.nonceHash = nonceHash
        self.keyId = keyId
        self.verifierBlob = verifierBlob
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
