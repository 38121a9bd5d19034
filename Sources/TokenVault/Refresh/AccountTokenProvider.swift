import Foundation
import MicrosoftGraph
import Storage
import Synchronization

/// The `AccessTokenProvider` of one (user, account), handed to a Graph client.
///
/// It remembers the fingerprint of the last token it handed out, so `accessToken(forceRefresh: true)` after a 401
/// refreshes only if nobody has replaced that token yet: 200 calls that all got 401 cause one refresh.
final class AccountTokenProvider: AccessTokenProvider {
    let account: AccountRef
    /// What Microsoft had granted the account when the provider was made (space-separated): the vault makes one
    /// per tool call, right after reading the account, so this is as fresh as a second read would be. Parsed only
    /// when asked (writes ask; reads never do).
    private let grantedScopeList: String
    private let vault: TokenVault
    private let lastHandedOut = Mutex<String?>(nil)

    init(account: AccountRef, grantedScopes: String, vault: TokenVault) {
        self.account = account
        self.grantedScopeList = grantedScopes
        self.vault = vault
    }

    func accessToken(forceRefresh: Bool) async throws -> String {
        let rejection: Rejection
        if forceRefresh {
            rejection = lastHandedOut.withLock { $0 }.map(Rejection.token) ?? .anyStored
        } else {
            rejection = .none
        }
        let grant = try await vault.coordinator.accessToken(for: account, rejection: rejection)
        lastHandedOut.withLock { $0 = grant.fingerprint }
        return grant.token
    }

    func accessToken(replacing rejected: String) async throws -> String {
        let grant = try await vault.coordinator.accessToken(
            for: account, rejection: .token(AccessGrant.fingerprint(rejected)))
        lastHandedOut.withLock { $0 = grant.fingerprint }
        return grant.token
    }

    func grantedScopes() async throws -> Set<String> { LinkedAccount.scopes(granted: grantedScopeList) }
}
