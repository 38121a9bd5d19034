import AsyncHTTPClient
import Foundation
import MicrosoftGraph
import SQLKit
import Storage
import Testing
import TokenVault

/// The vault over a real store (SQLite and PostgreSQL), without Microsoft: stored tokens that do not expire soon.
@Suite("Vault store")
struct VaultStoreTests {
    struct Fixture: Sendable {
        let database: Database
        let users: SQLUserStore
        let audit: MemoryAuditRecorder
        let logs: VaultLogCapture
        let keyring: Keyring
        let identity: IdentityClient

        func vault(_ keyring: Keyring? = nil, accessChanges: AccessChanges? = nil) -> TokenVault {
            TokenVault(
                users: users, blobs: SQLTokenBlobStore(database: database),
                pending: SQLPendingSignInStore(database: database), keyring: keyring ?? self.keyring,
                identity: identity, audit: audit, logger: logs.logger(), accessChanges: accessChanges)
        }

        /// A user with a default account holding tokens `access-<n>` / `refresh-<n>` valid for an hour.
        func account(_ n: Int, vault: TokenVault) async throws -> LinkedAccount {
            let user = try await users.upsertUser(
                tenantId: "tid", objectId: "oid-\(n)", username: "user\(n)@example.test", displayName: "User \(n)")
            let account = try await users.upsertAccount(
                userId: user.id, label: "default", tenantId: "tid", objectId: "oid-\(n)",
                username: "user\(n)@example.test", grantedScopes: "User.Read Mail.Read")
            try await vault.storeTokens(
                TokenSet(
                    accessToken: "access-token-secret-\(n)", refreshToken: "refresh-token-secret-\(n)", idToken: nil,
                    scopes: ["User.Read", "Mail.Read"], obtainedAt: Date(), expiresAt: Date().addingTimeInterval(3600)),
                for: account, source: "test")
            return account
        }
    }

    static func with(_ backend: Database.Backend, _ body: @Sendable (Fixture) async throws -> Void) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let identity = IdentityClient(
                httpClient: HTTPClient.shared, authority: URL(string: "http://127.0.0.1:9")!, tenant: "common",
                clientId: "client", clientSecret: "secret")
            try await body(
                Fixture(
                    database: database, users: SQLUserStore(database: database), audit: MemoryAuditRecorder(),
                    logs: VaultLogCapture(), keyring: Keyring.generate(), identity: identity))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func storedTokensAreCiphertextAndOpenFromAFreshInstance(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            let account = try await f.account(1, vault: f.vault())
            let rows = try await SQLTokenBlobStore(database: f.database).blobs(accountId: account.id)
            #expect(Set(rows.map(\.kind)) == [.access, .refresh])
            for row in rows {
                #expect(LeakForms.leaked(["access-token-secret-1", "refresh-token-secret-1"], in: row.blob).isEmpty)
            }
            // A second instance has nothing cached: it decrypts from the store.
            let provider = try await f.vault().tokenProvider(userId: account.userId, accountLabel: nil)
            #expect(try await provider.accessToken(forceRefresh: false) == "access-token-secret-1")
            #expect(try await provider.grantedScopes() == ["User.Read", "Mail.Read"])
            #expect(f.audit.all.contains { $0.type == "token.store" && $0.userId == account.userId })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func blobSwappedBetweenUsersFailsClosedAndIsAudited(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            let vault = f.vault()
            let a = try await f.account(1, vault: vault)
            let b = try await f.account(2, vault: vault)
            // An attacker with database access copies A's blobs into B's rows.
            try await f.database.read { db in
                for kind in ["access", "refresh"] {
                    try await db.raw(
                        """
                        UPDATE token_blobs SET blob = (SELECT blob FROM token_blobs WHERE account_id = \(bind: a.id)
                        AND kind = \(bind: kind)) WHERE account_id = \(bind: b.id) AND kind = \(bind: kind)
                        """
                    ).run()
                }
            }
            let provider = try await f.vault().tokenProvider(userId: b.userId, accountLabel: nil)
            await #expect(throws: VaultError.signInRequired(.tokenUnreadable)) {
                try await provider.accessToken(forceRefresh: false)
            }
            let failures = f.audit.all.filter { $0.type == "token.decrypt_failed" && $0.userId == b.userId }
            #expect(failures.count >= 2)  // access (then the refresh attempt's refresh token)
            #expect(failures.allSatisfy { $0.details["reason"] == "authentication_failed" })
            // A's own tokens still open.
            let own = try await f.vault().tokenProvider(userId: a.userId, accountLabel: nil)
            #expect(try await own.accessToken(forceRefresh: false) == "access-token-secret-1")
            #expect(f.logs.all.allSatisfy { !$0.contains("token-secret") })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func rotateRewrapDisableLeavesNothingOnTheOldKey(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            var keyring = f.keyring
            let vault = f.vault(keyring)
            var accounts: [LinkedAccount] = []
            for n in 1...7 { accounts.append(try await f.account(n, vault: vault)) }
            // A pending sign-in holds a sealed verifier under key 1 too.
            _ = try await vault.beginSignIn(
                continuation: "c", loginHint: nil, additionalScopes: [], redirectURI: "http://127.0.0.1:1/cb")

            keyring.rotate()
            let rotated = f.vault(keyring)
            // Old-key blobs still open after rotate.
            let first = try await rotated.tokenProvider(userId: accounts[0].userId, accountLabel: nil)
            #expect(try await first.accessToken(forceRefresh: false) == "access-token-secret-1")

            let maintenance = KeyMaintenance(
                blobs: SQLTokenBlobStore(database: f.database), pending: SQLPendingSignInStore(database: f.database),
                keyring: keyring, audit: f.audit, logger: f.logs.logger())
            #expect(try await maintenance.usage()[1] == KeyMaintenance.Usage(tokens: 14, pendingSignIns: 1))
            let batches = Counter()
            let report = try await maintenance.rewrap(batchSize: 3) { _ in await batches.increment() }
            #expect(report.rewrapped == 15)
            #expect(report.failed == 0)
            #expect(report.batches == 5)  // 14 token blobs in batches of 3
            #expect(await batches.value == 5)
            #expect(try await maintenance.usage()[1] == nil)
            #expect(try await maintenance.usage()[2] == KeyMaintenance.Usage(tokens: 14, pendingSignIns: 1))
            // Resumable: a second run finds nothing left.
            #expect(try await maintenance.rewrap(batchSize: 3).scanned == 0)

            try keyring.disable(id: 1)
            let disabled = f.vault(keyring)
            for (n, account) in accounts.enumerated() {
                let provider = try await disabled.tokenProvider(userId: account.userId, accountLabel: nil)
                #expect(try await provider.accessToken(forceRefresh: false) == "access-token-secret-\(n + 1)")
            }
            #expect(f.audit.all.contains { $0.type == "keys.rewrap" && $0.details["rewrapped"] == "15" })
            #expect(!f.audit.all.contains { $0.type == "token.decrypt_failed" })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func disabledKeyFailsClosedAndIsAudited(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            var keyring = f.keyring
            let account = try await f.account(1, vault: f.vault(keyring))
            keyring.rotate()
            try keyring.disable(id: 1)
            let provider = try await f.vault(keyring).tokenProvider(userId: account.userId, accountLabel: nil)
            await #expect(throws: VaultError.signInRequired(.tokenUnreadable)) {
                try await provider.accessToken(forceRefresh: false)
            }
            #expect(
                f.audit.all.contains { $0.type == "token.decrypt_failed" && $0.details["reason"] == "key_disabled" })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func refreshLeaseIsExclusiveAndExpires(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            let account = try await f.account(1, vault: f.vault())
            let store = SQLTokenBlobStore(database: f.database)
            #expect(try await store.acquireRefreshLease(accountId: account.id, owner: "a", milliseconds: 30_000))
            #expect(try await !store.acquireRefreshLease(accountId: account.id, owner: "b", milliseconds: 30_000))
            // Saving under a lease someone else holds saves nothing.
            #expect(try await !store.saveRefreshed([], accountId: account.id, leaseOwner: "b"))
            try await store.releaseRefreshLease(accountId: account.id, owner: "a")
            #expect(try await store.acquireRefreshLease(accountId: account.id, owner: "b", milliseconds: 1))
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await store.acquireRefreshLease(accountId: account.id, owner: "c", milliseconds: 30_000))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func revokeShredsTokens(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            let vault = f.vault()
            let account = try await f.account(1, vault: vault)
            try await vault.revoke(userId: account.userId, accountId: account.id)
            #expect(try await SQLTokenBlobStore(database: f.database).blobs(accountId: account.id).isEmpty)
            await #expect(throws: VaultError.signInRequired(.accountNeedsSignIn)) {
                _ = try await vault.tokenProvider(userId: account.userId, accountLabel: nil)
            }
            #expect(f.audit.all.contains { $0.type == "token.revoke" })
        }
    }
}

extension VaultStoreTests {
    /// The account cache (a tool call reads the user's linked accounts from memory): an account written through
    /// the store takes effect at once on this instance, and one written elsewhere (another instance: a row
    /// changed and the shared revocation epoch bumped) within the poll interval.
    @Test(arguments: TestDatabases.backends)
    func accountsComeFromMemoryAndEveryChangeDropsThem(_ backend: Database.Backend) async throws {
        try await Self.with(backend) { f in
            let changes = AccessChanges(
                epochs: SQLOAuthStore(database: f.database), pollInterval: .milliseconds(100))
            let vault = f.vault(accessChanges: changes)
            let account = try await f.account(1, vault: vault)
            await #expect(throws: VaultError.consentRequired(scopes: ["Mail.Send"])) {
                try await vault.requireScopes(["Mail.Send"], userId: account.userId, accountLabel: nil)
            }
            // Consent granted through the store (as the sign-in does): the next call sees it at once.
            try await f.users.setGrantedScopes(accountId: account.id, "User.Read Mail.Read Mail.Send")
            try await vault.requireScopes(["Mail.Send"], userId: account.userId, accountLabel: nil)

            // Another instance marks the account for sign-in: its row and the shared epoch change, nothing moves
            // in this process; the change is seen within the poll interval.
            _ = try await vault.tokenProvider(userId: account.userId, accountLabel: nil)
            try await f.database.transaction { db in
                try await db.raw("UPDATE accounts SET status = 'needs_sign_in' WHERE id = \(bind: account.id)").run()
                try await db.raw("UPDATE revocation_epoch SET value = value + 1 WHERE id = 'main'").run()
            }
            let refused = try await AuditSettling.eventually(within: .seconds(1)) { () async -> VaultError? in
                do {
                    _ = try await vault.tokenProvider(userId: account.userId, accountLabel: nil)
                    return nil
                } catch {
                    return error as? VaultError
                }
            } until: { $0 != nil }
            #expect(refused == .signInRequired(.accountNeedsSignIn), "another instance's change not seen within 1 s")
        }
    }
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
