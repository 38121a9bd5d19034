/// Gives a Graph client the access token of exactly one Microsoft account.
///
/// The vault implements it per (user, account): tokens are decrypted, refreshed single-flight when close to
/// expiry, and never shared between accounts. A Graph client holds one provider and nothing else that
/// identifies a user, so one user's call cannot carry another's token.
public protocol AccessTokenProvider: Sendable {
    /// A valid access token. `forceRefresh` after Graph answered 401 to the current one (refresh once, then
    /// give up: never loop).
    func accessToken(forceRefresh: Bool) async throws -> String
    /// Scopes Microsoft granted to this account (for incremental consent decisions).
    func grantedScopes() async throws -> Set<String>
}
