/// Gives a Graph client the access token of exactly one Microsoft account.
///
/// The vault implements it per (user, account): tokens are decrypted, refreshed single-flight when close to
/// expiry, and never shared between accounts. A Graph client holds one provider and nothing else that
/// identifies a user, so one user's call cannot carry another's token.
public protocol AccessTokenProvider: Sendable {
    /// A valid access token. `forceRefresh` after Graph answered 401 to the current one (refresh once, then
    /// give up: never loop).
    func accessToken(forceRefresh: Bool) async throws -> String
    /// A replacement for `rejected`, the token Graph just answered 401 to. Refreshes only while `rejected` is
    /// still the current token, so any number of callers holding the same rejected token cause one refresh, and
    /// a caller that got its 401 late does not refresh a token someone else already replaced.
    func accessToken(replacing rejected: String) async throws -> String
    /// Scopes Microsoft granted to this account (for incremental consent decisions).
    func grantedScopes() async throws -> Set<String>
}

extension AccessTokenProvider {
    /// Providers that cannot compare tokens force a refresh.
    public func accessToken(replacing rejected: String) async throws -> String {
        try await accessToken(forceRefresh: true)
    }
}

/// An error of a token provider that says whether the token is unavailable only for now (Microsoft's token
/// endpoint or the store briefly down): a Graph call then fails as retryable (`GraphError.unavailable`) instead
/// of telling the user to sign in again.
public protocol TransientTokenError: Error {
    var isTransient: Bool { get }
}
