import Foundation
import MicrosoftGraph
import Sandbox
import Storage
import Testing
import TokenVault

/// Refresh against the emulated tenant on both stores: single flight, across instances, faults.
@Suite("Vault refresh")
struct VaultRefreshTests {
    @Test(arguments: TestDatabases.backends)
    func twoHundredCallsAfterMicrosoftExpiredTheTokenCauseOneRefresh(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            let provider = try await env.vault.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            #expect(try await env.callGraph(provider) == 200)
            try await env.expireAtMicrosoft()
            try await env.resetGrants()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 { group.addTask { try await env.callGraph(provider) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(try await env.refreshGrants() == 1)
            #expect(env.audit.all.filter { $0.type == "token.refresh" && $0.outcome == .success }.count == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func twoHundredCallsWithAnExpiredStoredTokenCauseOneRefresh(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            let before = try #require(try await env.storedBlob(signedIn.account.id, .refresh))
            try await env.expireStoredAccessToken(signedIn.account.id)
            try await env.resetGrants()
            let vault = env.makeVault()  // fresh instance: nothing cached, reads the expired token from the store
            let provider = try await vault.tokenProvider(userId: signedIn.user.id, accountLabel: "default")
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<200 { group.addTask { try await provider.accessToken(forceRefresh: false) } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(tokens.count == 1)
            #expect(try await env.refreshGrants() == 1)
            #expect(try await env.client.graph(tokens.first!, .GET, "/me").status == 200)
            // The rotated refresh token replaced the old one, and the new access token is stored encrypted.
            let after = try #require(try await env.storedBlob(signedIn.account.id, .refresh))
            #expect(after.blob != before.blob)
            let access = try #require(try await env.storedBlob(signedIn.account.id, .access))
            #expect(access.expiresAt > Timestamp.now + 3000)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func twoInstancesSharingTheStoreRefreshOnce(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            try await env.expireStoredAccessToken(signedIn.account.id)
            try await env.expireAtMicrosoft()
            try await env.resetGrants()
            let run: @Sendable (Database) async throws -> Void = { second in
                let a = env.makeVault()
                let b = env.makeVault(database: second)
                let pa = try await a.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
                let pb = try await b.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<200 { group.addTask { try await env.callGraph(i % 2 == 0 ? pa : pb) } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == 200 })
            }
            if backend == .postgres {
                // A second connection pool to the same database, like a second server instance.
                let second = try await Database.open(env.database.location, logger: env.logs.logger())
                try await second.withRunning { try await run(second) }
            } else {
                try await run(env.database)
            }
            #expect(try await env.refreshGrants() == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func revokedRefreshTokenMarksTheAccountAndAudits(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            _ = try await env.client.control(.POST, "users/AlexW@contoso.sandbox/revoke-refresh-tokens")
            try await env.expireStoredAccessToken(signedIn.account.id)
            let provider = try await env.makeVault().tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            await #expect(throws: VaultError.signInRequired(.refreshRejected)) {
                try await provider.accessToken(forceRefresh: false)
            }
            #expect(try await env.users.account(id: signedIn.account.id)?.status == .needsSignIn)
            let event = try #require(env.audit.all.last { $0.type == "token.refresh" })
            #expect(event.outcome == .failure)
            #expect(event.details["status"] == "needs_sign_in")
            await #expect(throws: VaultError.signInRequired(.accountNeedsSignIn)) {
                _ = try await env.vault.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            }
            // Signing in again makes the account usable.
            _ = try await env.signIn()
            let again = try await env.vault.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            #expect(try await env.callGraph(again) == 200)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func microsoft5xxAndDroppedConnectionsKeepTheRefreshToken(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            let before = try #require(try await env.storedBlob(signedIn.account.id, .refresh))
            try await env.expireStoredAccessToken(signedIn.account.id)
            for fault in ["unavailableRate", "dropConnectionRate"] {
                try await env.setFaults([fault: 1.0, "includeTokenEndpoint": true, "retryAfterSeconds": 0])
                let provider = try await env.makeVault().tokenProvider(userId: signedIn.user.id, accountLabel: nil)
                await #expect(throws: VaultError.self) { try await provider.accessToken(forceRefresh: false) }
                do {
                    _ = try await provider.accessToken(forceRefresh: false)
                } catch let error as VaultError {
                    guard case .refreshUnavailable = error else {
                        Issue.record("expected refreshUnavailable, got \(error)")
                        continue
                    }
                }
                #expect(try await env.storedBlob(signedIn.account.id, .refresh)?.blob == before.blob)
                #expect(try await env.users.account(id: signedIn.account.id)?.status == .active)
            }
            #expect(env.audit.all.filter { $0.type == "token.refresh" && $0.outcome == .failure }.count >= 4)
            try await env.setFaults([:])
            let provider = try await env.makeVault().tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            #expect(try await env.callGraph(provider) == 200)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func corruptedOrWrongKeyBlobFailsClosed(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            let refresh = try #require(try await env.storedBlob(signedIn.account.id, .refresh))
            try await env.expireStoredAccessToken(signedIn.account.id)
            var corrupted = refresh.blob
            corrupted[corrupted.count - 3] ^= 0x40
            var wrongKey = refresh.blob
            wrongKey[4] = 77
            for (blob, reason) in [
                (corrupted, "authentication_failed"), (wrongKey, "unknown_key"),
                (Data(refresh.blob.prefix(9)), "malformed"),
            ] {
                try await env.database.read { db in
                    try await db.raw(
                        "UPDATE token_blobs SET blob = \(bind: blob) WHERE account_id = \(bind: signedIn.account.id) AND kind = 'refresh'"
                    ).run()
                }
                let provider = try await env.makeVault().tokenProvider(userId: signedIn.user.id, accountLabel: nil)
                await #expect(throws: VaultError.signInRequired(.tokenUnreadable)) {
                    try await provider.accessToken(forceRefresh: false)
                }
                #expect(env.audit.all.contains { $0.type == "token.decrypt_failed" && $0.details["reason"] == reason })
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func nothingSecretInTheStoreOrTheLogs(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let signedIn = try await env.signIn()
            try await env.expireStoredAccessToken(signedIn.account.id)
            let provider = try await env.makeVault().tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            #expect(try await env.callGraph(provider) == 200)
            // A failing sign-in and a failing refresh log too.
            await #expect(throws: VaultError.signInStateInvalid) {
                _ = try await env.vault.completeSignIn(
                    state: "forged", code: "code", error: nil, errorDescription: nil,
                    redirectURI: VaultEnvironment.redirectURI)
            }
            let secrets = try await env.issuedSecrets()
            #expect(secrets.count >= 4)
            #expect(LeakForms.leaked(secrets, in: env.logs.all.joined(separator: "\n")).isEmpty)
            #expect(LeakForms.leaked(secrets, in: env.audit.all.map { "\($0)" }.joined()).isEmpty)
            // Every stored column, both backends.
            let dump = try await env.database.read { db -> String in
                var text = ""
                for table in ["token_blobs", "pending_sign_ins", "accounts", "users"] {
                    for row in try await db.raw("SELECT * FROM \(unsafeRaw: table)").all() {
                        for column in row.allColumns {
                            if let value = try? row.decode(column: column, as: String.self) { text += value + "\n" }
                            if let value = try? row.decode(column: column, as: Data.self) {
                                text += String(decoding: value, as: UTF8.self) + "\n"
                            }
                        }
                    }
                }
                return text
            }
            #expect(LeakForms.leaked(secrets, in: dump).isEmpty)
            if case .sqlite(let path) = env.database.location {
                for suffix in ["", "-wal"] {
                    if let data = FileManager.default.contents(atPath: path + suffix) {
                        #expect(LeakForms.leaked(secrets, in: data).isEmpty)
                    }
                }
            }
        }
    }
}
