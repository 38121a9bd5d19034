import Foundation
import Logging
import MicrosoftGraph
import SecurityOps
import Storage

/// Microsoft's tokens of every user, encrypted at rest, refreshed single-flight, handed out per account.
///
/// - `tokenProvider(userId:accountLabel:)` gives a Graph client the token of exactly one account.
/// - `beginSignIn` / `completeSignIn` (`MicrosoftSignIn`) run the browser sign-in and store the tokens.
/// - `consentURL(for:)` is the link a tool shows when a write scope is missing.
public final class TokenVault: Sendable {
    public static let defaultAccountLabel = "default"

    public let envelope: TokenEnvelope
    public let identity: IdentityClient
    let users: any UserStore
    let blobs: any TokenBlobStore
    let pending: any PendingSignInStore
    let audit: any AuditRecorder
    let logger: Logger
    let sealer: TokenSealer
    let coordinator: RefreshCoordinator
    /// Public base URL of graphgate, for `consentURL(for:)` and `signInURL()`.
    public let publicURL: URL?
    /// Path of the web route that starts an incremental-consent sign-in (`?scope=…`); the web layer serves it.
    public static let consentPath = "/account/consent"
    /// Path of the web route that starts a plain sign-in.
    public static let signInPath = "/account/signin"
    /// Each user's linked accounts by user id, so a tool call reads none from the store in the steady state; any
    /// account write drops it (the stores bump the revocation epoch; nil: every call reads).
    let accountCache: AccessChangeCache<[LinkedAccount]>?
    /// Who may sign in, decided on the verified id_token before anything is stored (nil: anyone).
    let admit: (@Sendable (IDTokenClaims) async -> Bool)?
    /// Lifetime of a pending sign-in's `state`.
    public static let signInLifetime: Int64 = 600

    /// - Parameters:
    ///   - users, blobs, pending: the stores, built by the composition root.
    ///   - admit: the sign-in access policy (allowed tenants/users), applied to the verified id_token.
    ///   - refreshMargin: refresh when less than this is left of an access token (5 minutes).
    ///   - cacheCapacity: accounts whose access token is kept in memory.
    ///   - accessChanges: what tells the account cache that accounts changed (nil: accounts are read every call).
    public init(
        users: any UserStore, blobs: any TokenBlobStore, pending: any PendingSignInStore, keyring: Keyring,
        identity: IdentityClient, audit: any AuditRecorder, logger: Logger, publicURL: URL? = nil,
        admit: (@Sendable (IDTokenClaims) async -> Bool)? = nil, refreshMargin: TimeInterval = 300,
        cacheCapacity: Int = 10_000, accessChanges: AccessChanges? = nil
    ) {
        self.admit = admit
        self.accountCache = accessChanges.map { AccessChangeCache(changes: $0, capacity: cacheCapacity) }
        self.users = users
        self.blobs = blobs
        self.pending = pending
        self.envelope = TokenEnvelope(keyring: keyring)
        self.sealer = TokenSealer(envelope: envelope)
        self.identity = identity
        self.audit = audit
        self.logger = logger
        self.publicURL = publicURL
        self.coordinator = RefreshCoordinator(
            refresher: AccountRefresher(
                users: users, blobs: blobs, sealer: sealer, identity: identity, audit: audit, logger: logger,
                instanceId: UUID().uuidString.lowercased(), margin: refreshMargin),
            margin: refreshMargin, capacity: cacheCapacity)
    }

    // MARK: tokens for Graph

    /// The token provider of the user's account with `accountLabel` (nil: `default`, or the only account).
    /// Throws `accountNotFound` or `signInRequired(.accountNeedsSignIn)`. Make one per tool call: it carries the
    /// scopes granted to the account as read now.
    public func tokenProvider(
        userId: String, accountLabel: String?
    ) async throws(VaultError)
        -> any AccessTokenProvider
    {
        let account = try await resolveAccount(userId: userId, label: accountLabel)
        guard account.status == .active else { throw .signInRequired(.accountNeedsSignIn) }
        return AccountTokenProvider(
            account: AccountRef(userId: userId, accountId: account.id), grantedScopes: account.grantedScopes,
            vault: self)
    }

    /// Throws `consentRequired` naming what is missing when the account lacks any of `scopes`.
    public func requireScopes(_ scopes: [String], userId: String, accountLabel: String?) async throws(VaultError) {
        let account = try await resolveAccount(userId: userId, label: accountLabel)
        let missing = MicrosoftScopes.missing(scopes, granted: account.scopes)
        if !missing.isEmpty { throw .consentRequired(scopes: missing) }
    }

    /// The link a tool shows when scopes are missing: the web route that starts an incremental-consent sign-in.
    public func consentURL(for scopes: [String]) -> URL? {
        guard let publicURL else { return nil }
        var components = URLComponents(
            url: publicURL.appendingPathComponent(Self.consentPath), resolvingAgainstBaseURL: false)
        components?.queryItems = [
            URLQueryItem(name: "scope", value: MicrosoftScopes.normalize(scopes).joined(separator: " "))
        ]
        return components?.url
    }

    /// The link a tool shows when the user must sign in again.
    public func signInURL() -> URL? { publicURL?.appendingPathComponent(Self.signInPath) }

    /// Shreds the account's Microsoft tokens (revoke on our side: Microsoft keeps old refresh tokens valid, so
    /// deleting ours is what ends access) and marks it as needing sign-in.
    public func revoke(userId: String, accountId: String, by actor: String = "user") async throws(VaultError) {
        do {
            guard let account = try await users.account(id: accountId), account.userId == userId else {
                throw VaultError.accountNotFound
            }
            try await blobs.deleteBlobs(accountId: accountId)
            try await users.setAccountStatus(id: accountId, .needsSignIn)
        } catch let error as VaultError {
            throw error
        } catch {
            throw .storage(StorageError.from(error))
        }
        await coordinator.forget(accountId: accountId)
        await audit.record(
            AuditEvent("token.revoke", userId: userId, details: ["account": accountId, "by": actor]))
    }

    /// Stores a fresh sign-in's tokens (refresh + access in one transaction) for `account` and caches the access
    /// token. Used by the browser sign-in and by `graphgate login` (device code).
    public func storeTokens(_ tokens: TokenSet, for account: LinkedAccount, source: String) async throws(VaultError) {
        let sealed = [
            try sealer.seal(tokens, kind: .refresh, userId: account.userId, accountId: account.id),
            try sealer.seal(tokens, kind: .access, userId: account.userId, accountId: account.id),
        ]
        do {
            try await blobs.save(sealed)
        } catch {
            await audit.record(
                AuditEvent(
                    "token.store", outcome: .failure, userId: account.userId,
                    details: ["account": account.id, "reason": "store_failed"]))
            throw .storage(error)
        }
        await coordinator.remember(
            AccessGrant(token: tokens.accessToken, expiresAt: tokens.expiresAt, obtainedAt: tokens.obtainedAt),
            for: account.id)
        await audit.record(
            AuditEvent(
                "token.store", userId: account.userId,
                details: ["account": account.id, "source": source, "scopes": tokens.scopes.joined(separator: " ")]))
    }

    /// Links a signed-in Microsoft identity: user upserted by (tid, oid), account `label` upserted with the granted
    /// scopes (status active), tokens stored.
    public func link(
        tokens: TokenSet, claims: IDTokenClaims, label: String, source: String
    ) async throws(VaultError)
        -> (User, LinkedAccount)
    {
        guard tokens.refreshToken != nil else { throw .identity(.signInRequired(.noRefreshToken)) }
        let user: User
        let account: LinkedAccount
        do {
            user = try await users.upsertUser(
                tenantId: claims.tenantId, objectId: claims.objectId, username: claims.username,
                displayName: claims.displayName)
            account = try await users.upsertAccount(
                userId: user.id, label: label, tenantId: claims.tenantId, objectId: claims.objectId,
                username: claims.username, grantedScopes: tokens.scopes.joined(separator: " "))
        } catch {
            throw .storage(error)
        }
        try await storeTokens(tokens, for: account, source: source)
        return (user, account)
    }

    func resolveAccount(userId: String, label: String?) async throws(VaultError) -> LinkedAccount {
        let accounts = try await accounts(userId: userId)
        if let label, let match = accounts.first(where: { $0.label == label }) { return match }
        if label != nil { throw .accountNotFound }
        if let match = accounts.first(where: { $0.label == Self.defaultAccountLabel }) { return match }
        if accounts.count == 1 { return accounts[0] }
        throw .accountNotFound
    }

    /// The user's linked accounts, from the account cache when it holds them.
    func accounts(userId: String) async throws(VaultError) -> [LinkedAccount] {
        let cached = await accountCache?.lookup(userId) { [users] in try? await users.accounts(userId: userId) }
        if let accounts = cached?.value { return accounts }
        let accounts: [LinkedAccount]
        do {
            accounts = try await users.accounts(userId: userId)
        } catch {
            throw .storage(error)
        }
        if let cached { accountCache?.store(accounts, for: userId, ticket: cached.ticket) }
        return accounts
    }

    /// Accounts whose access token sits in memory now (for tests and metrics).
    public func cachedAccountCount() async -> Int { await coordinator.cachedCount }
}
