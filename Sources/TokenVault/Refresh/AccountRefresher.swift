import Foundation
import Logging
import MicrosoftGraph
import SecurityOps
import Storage

/// Loads an account's access token from the store, or refreshes it at Microsoft holding the account's refresh
/// lease, so that across instances only one refresh runs at a time. In process, `RefreshCoordinator` makes sure
/// only one of these runs per account.
///
/// Order of a refresh: lease → re-read (someone may have just finished) → decrypt refresh token → Microsoft →
/// seal new access + refresh tokens → save both and release the lease in one transaction → hand out. The old
/// refresh token stays stored until the new one is saved; any failure before that leaves it untouched.
struct AccountRefresher: Sendable {
    let users: any UserStore
    let blobs: any TokenBlobStore
    let sealer: TokenSealer
    let identity: IdentityClient
    let audit: any AuditRecorder
    let logger: Logger
    /// Identifies this vault instance in lease rows.
    let instanceId: String
    /// Refresh when the access token has less than this left (5 minutes).
    let margin: TimeInterval
    /// Lease lifetime: longer than the identity client's request timeout, so a lease never lapses mid-refresh.
    let leaseMilliseconds: Int64 = 30_000
    /// How long to wait for another instance's refresh before giving up.
    let waitLimit: Duration = .seconds(45)
    /// Back-off after a transient refresh failure while the old token is still valid.
    let failureBackoff: TimeInterval = 15

    func obtain(_ account: AccountRef, rejection: Rejection) async throws(VaultError) -> AccessGrant {
        let started = ContinuousClock.now
        let owner = "\(instanceId)/\(RandomToken.make(bytes: 9))"
        var waited = false
        while true {
            let stored = try await load(account)
            guard stored[.refresh] != nil else { throw .signInRequired(.noTokens) }
            if let grant = await usableAccess(stored[.access], account: account, rejection: rejection) {
                return grant
            }
            if try await acquire(account, owner: owner) {
                if waited { logger.debug("refresh lease acquired after waiting", metadata: meta(account)) }
                if let grant = try await refreshHoldingLease(account, owner: owner, rejection: rejection) {
                    return grant
                }
                continue
            }
            waited = true
            if ContinuousClock.now - started > waitLimit {
                throw .refreshUnavailable("another instance has been refreshing this account for too long")
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Returns nil when the lease was lost before saving (another instance's tokens win; loop again). The lease
    /// is released on every path: by the saving transaction on success, explicitly otherwise.
    private func refreshHoldingLease(
        _ account: AccountRef, owner: String, rejection: Rejection
    )
        async throws(VaultError) -> AccessGrant?
    {
        do {
            let (grant, released) = try await refreshSteps(account, owner: owner, rejection: rejection)
            if !released { try? await blobs.releaseRefreshLease(accountId: account.accountId, owner: owner) }
            return grant
        } catch {
            try? await blobs.releaseRefreshLease(accountId: account.accountId, owner: owner)
            throw error
        }
    }

    private func refreshSteps(
        _ account: AccountRef, owner: String, rejection: Rejection
    )
        async throws(VaultError) -> (AccessGrant?, released: Bool)
    {
        let stored = try await load(account)
        guard let refreshBlob = stored[.refresh] else { throw .signInRequired(.noTokens) }
        if let grant = await usableAccess(stored[.access], account: account, rejection: rejection) {
            return (grant, false)
        }
        let record: LinkedAccount
        do {
            guard let found = try await users.account(id: account.accountId), found.userId == account.userId else {
                throw VaultError.accountNotFound
            }
            record = found
        } catch let error as VaultError {
            throw error
        } catch {
            throw .storage(StorageError.from(error))
        }
        guard record.status == .active else { throw .signInRequired(.accountNeedsSignIn) }
        let refreshToken = try await sealer.open(refreshBlob, audit: audit, logger: logger)

        let tokens: TokenSet
        do {
            tokens = try await identity.refresh(
                refreshToken: refreshToken, scopes: record.grantedScopes.split(separator: " ").map(String.init))
        } catch {
            VaultMetrics.refreshed(error.requiresSignIn ? "invalid_grant" : "failed")
            return (
                try await refreshFailed(error, account: account, stored: stored[.access], rejection: rejection), false
            )
        }
        VaultMetrics.refreshed("ok")
        var newBlobs = [try sealer.seal(tokens, kind: .access, userId: account.userId, accountId: account.accountId)]
        if tokens.refreshToken != nil {
            newBlobs.append(
                try sealer.seal(tokens, kind: .refresh, userId: account.userId, accountId: account.accountId))
        }
        let saved: Bool
        do {
            saved = try await blobs.saveRefreshed(newBlobs, accountId: account.accountId, leaseOwner: owner)
        } catch {
            await audit.record(
                AuditEvent(
                    "token.refresh", outcome: .failure, userId: account.userId,
                    details: ["account": account.accountId, "reason": "store_failed"]))
            throw .storage(error)
        }
        guard saved else {
            logger.warning(
                "refresh lease lost before saving; using the other instance's tokens", metadata: meta(account))
            return (nil, false)
        }
        let newScopes = tokens.scopes.joined(separator: " ")
        if !tokens.scopes.isEmpty, Set(tokens.scopes) != record.scopes {
            try? await users.setGrantedScopes(accountId: account.accountId, newScopes)
        }
        await audit.record(
            AuditEvent(
                "token.refresh", outcome: .success, userId: account.userId,
                details: [
                    "account": account.accountId, "rotated": tokens.refreshToken == nil ? "no" : "yes",
                    "expires_in": "\(Int(tokens.expiresAt.timeIntervalSince(tokens.obtainedAt)))",
                ]))
        logger.debug("refreshed Microsoft token", metadata: meta(account))
        return (
            AccessGrant(token: tokens.accessToken, expiresAt: tokens.expiresAt, obtainedAt: tokens.obtainedAt), true
        )
    }

    private func refreshFailed(
        _ error: IdentityError, account: AccountRef, stored: TokenBlob?, rejection: Rejection
    )
        async throws(VaultError) -> AccessGrant
    {
        if error.requiresSignIn {
            try? await users.setAccountStatus(id: account.accountId, .needsSignIn)
            await audit.record(
                AuditEvent(
                    "token.refresh", outcome: .failure, userId: account.userId,
                    details: ["account": account.accountId, "reason": Self.reason(error), "status": "needs_sign_in"]))
            logger.notice("Microsoft refused the refresh token; the user must sign in again", metadata: meta(account))
            if case .consentRequired(let scopes) = error { throw .consentRequired(scopes: scopes) }
            if case .interactionRequired = error { throw .signInRequired(.interactionRequired) }
            throw .signInRequired(.refreshRejected)
        }
        await audit.record(
            AuditEvent(
                "token.refresh", outcome: .failure, userId: account.userId,
                details: ["account": account.accountId, "reason": Self.reason(error)]))
        logger.warning(
            "refresh failed; the stored refresh token is kept",
            metadata: meta(account).merging(["gg.error": "\(error)"]) { a, _ in a })
        // A proactive refresh that failed while the current token is still valid: keep using it for a while.
        if let stored, Timestamp.date(stored.expiresAt).timeIntervalSinceNow > 30,
            let token = try? sealer.envelope.open(stored.blob, for: sealer.binding(stored))
        {
            var grant = AccessGrant(
                token: token, expiresAt: Timestamp.date(stored.expiresAt), obtainedAt: Timestamp.date(stored.obtainedAt)
            )
            if !rejection.rejects(grant.fingerprint) {
                grant.retryNotBefore = Date().addingTimeInterval(failureBackoff)
                return grant
            }
        }
        throw .refreshUnavailable(error.description)
    }

    private func usableAccess(_ blob: TokenBlob?, account: AccountRef, rejection: Rejection) async -> AccessGrant? {
        guard let blob, Timestamp.date(blob.expiresAt).timeIntervalSinceNow > margin else { return nil }
        guard let token = try? await sealer.open(blob, audit: audit, logger: logger) else { return nil }
        let grant = AccessGrant(
            token: token, expiresAt: Timestamp.date(blob.expiresAt), obtainedAt: Timestamp.date(blob.obtainedAt))
        return rejection.rejects(grant.fingerprint) ? nil : grant
    }

    private func load(_ account: AccountRef) async throws(VaultError) -> [TokenBlob.Kind: TokenBlob] {
        do {
            let rows = try await blobs.blobs(accountId: account.accountId).filter { $0.userId == account.userId }
            return Dictionary(rows.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
        } catch {
            throw .storage(error)
        }
    }

    private func acquire(_ account: AccountRef, owner: String) async throws(VaultError) -> Bool {
        do {
            return try await blobs.acquireRefreshLease(
                accountId: account.accountId, owner: owner, milliseconds: leaseMilliseconds)
        } catch {
            throw .storage(error)
        }
    }

    private func meta(_ account: AccountRef) -> Logger.Metadata {
        ["gg.user": "\(account.userId)", "gg.account": "\(account.accountId)"]
    }

    static func reason(_ error: IdentityError) -> String {
        switch error {
        case .signInRequired(let reason): reason.rawValue
        case .consentRequired: "consent_required"
        case .interactionRequired: "interaction_required"
        case .serviceUnavailable(let status): "microsoft_\(status)"
        case .unreachable: "unreachable"
        case .invalidClient: "invalid_client"
        case .invalidResponse: "invalid_response"
        case .rejected(let code, _, _): code
        default: "other"
        }
    }
}
