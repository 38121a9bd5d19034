import Foundation
import Storage

/// What the browser-facing side (our OAuth server's `/oauth/authorize` and `/oauth/callback`) needs from the
/// Microsoft sign-in: start it, and finish it. The implementation keeps PKCE verifier, nonce and single-use
/// state server-side; the browser only ever carries the state value.
public protocol MicrosoftSignIn: Sendable {
    /// Stores a pending sign-in and returns Microsoft's authorize URL to redirect the browser to.
    /// - Parameters:
    ///   - continuation: opaque id the caller uses to resume its own flow after the callback (≤ 256 chars).
    ///   - additionalScopes: write scopes to ask for incrementally, beyond the read-only default set.
    func beginSignIn(
        continuation: String, loginHint: String?, additionalScopes: [String], redirectURI: String
    ) async throws -> URL

    /// Finishes at the callback: state checked and consumed, code redeemed with the verifier, id_token verified,
    /// user upserted by (tid, oid), Microsoft's tokens stored encrypted. Throws a typed error (the state is
    /// unknown, expired or reused; Microsoft said no; the id_token did not verify) that says what the user
    /// must do; nothing is stored on failure.
    func completeSignIn(
        state: String, code: String?, error: String?, errorDescription: String?, redirectURI: String
    ) async throws -> CompletedSignIn
}

/// A finished Microsoft sign-in.
public struct CompletedSignIn: Sendable {
    public var user: User
    public var account: LinkedAccount
    /// The `continuation` given to `beginSignIn`.
    public var continuation: String

    public init(user: User, account: LinkedAccount, continuation: String) {
        self.user = user
        self.account = account
        self.continuation = continuation
    }
}
