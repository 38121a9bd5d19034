import Foundation
import Storage
import Testing

/// The batched reads the admin and account pages use instead of one query per user or client.
@Suite("Storage batched reads, on every backend")
struct StorageBatchReadTests {
    @Test(
        "users, accounts and active grants of many users come back for exactly those users",
        arguments: TestDatabases.backends)
    func usersAccountsGrants(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let stores = Stores(database: database)
            var users: [User] = []
            for n in 0..<5 {
                let user = try await stores.users.upsertUser(
                    tenantId: "t", objectId: "o\(n)", username: "u\(n)@contoso.test", displayName: "U\(n)")
                users.append(user)
                for label in ["default", "work"].prefix(n % 2 + 1) {
                    _ = try await stores.users.upsertAccount(
                        userId: user.id, label: label, tenantId: "t", objectId: "o\(n)-\(label)",
                        username: "u\(n)@contoso.test", grantedScopes: "Mail.Read")
                }
                try await insertGrant(stores.oauth, id: "g\(n)", userId: user.id, client: "c\(n % 2)")
            }
            try await insertGrant(stores.oauth, id: "g-extra", userId: users[1].id, client: "c9")
            #expect(try await stores.oauth.revokeGrant(id: "g3", reason: "test", now: Timestamp.now))

            let asked = [users[1].id, users[3].id, users[4].id, "no-such-user", users[1].id]
            #expect(Set(try await stores.users.users(ids: asked).map(\.id)) == [users[1].id, users[3].id, users[4].id])
            #expect(try await stores.users.users(ids: []).isEmpty)

            let accounts = try await stores.users.accounts(userIds: asked)
            #expect(accounts.count == 2 + 2 + 1)
            #expect(Set(accounts.map(\.userId)) == [users[1].id, users[3].id, users[4].id])
            #expect(try await stores.users.accounts(userIds: []).isEmpty)

            // Revoked grants (g3) are left out; g-extra is the second grant of users[1].
            let grants = try await stores.oauth.activeGrants(userIds: asked)
            #expect(Set(grants.map(\.id)) == ["g1", "g-extra", "g4"])
            #expect(try await stores.oauth.activeGrants(userIds: []).isEmpty)
        }
    }

    @Test("clients(ids:) reads each known client once", arguments: TestDatabases.backends)
    func clientsByIds(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let oauth = Stores(database: database).oauth
            for id in ["a", "b", "c"] {
                try await oauth.insertClient(
                    OAuthClientRecord(
                        clientId: id, clientName: id, redirectURIs: ["http://127.0.0.1/cb"], scope: "",
                        kind: .dynamic, clientURI: nil, createdAt: 1, refreshedAt: 1))
            }
            let found = try await oauth.clients(ids: ["a", "c", "a", "zzz"])
            #expect(found.map(\.clientId).sorted() == ["a", "c"])
            #expect(try await oauth.clients(ids: []).isEmpty)
        }
    }

    @Test(
        "last activity: the newest row among each user's newest rows that is not of an excluded kind",
        arguments: TestDatabases.backends)
    func lastActivity(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let stores = Stores(database: database)
            let audit = stores.audit
            var id: [String: String] = [:]
            for name in ["alice", "bob", "carol", "dave"] {
                id[name] = try await stores.users.upsertUser(
                    tenantId: "t", objectId: name, username: name + "@contoso.test", displayName: name
                ).id
            }
            // alice: a tool call at 100, then admin and security rows (not her own activity).
            // bob: a tool call at 50, then 3 admin rows: outside a window of 3.
            // carol: only admin rows. dave: nothing.
            let rows: [(String, String, Int64)] = [
                ("alice", "tool.call", 100), ("bob", "tool.call", 50), ("alice", "admin.block", 200),
                ("bob", "admin.block", 60), ("bob", "admin.unblock", 70), ("alice", "security.alert", 300),
                ("bob", "admin.block", 80), ("carol", "admin.block", 90),
            ]
            _ = try await audit.append(
                rows.map { user, type, at in
                    AuditRow(
                        seq: 0, at: at, eventType: type, outcome: "success", userId: id[user], clientId: nil,
                        sourceIP: nil, details: "{}", hash: "")
                }
            ) { previous, _ in previous }
            let excluded = ["admin.", "security."]
            let everyone = ["alice", "bob", "carol", "dave"].compactMap { id[$0] } + ["no-such-user"]
            let all = try await audit.lastActivity(userIds: everyone, window: 10, excludingPrefixes: excluded)
            #expect(all == [id["alice"]!: 100, id["bob"]!: 50])
            let narrow = try await audit.lastActivity(userIds: everyone, window: 3, excludingPrefixes: excluded)
            #expect(narrow == [id["alice"]!: 100])
            let unfiltered = try await audit.lastActivity(userIds: everyone, window: 3, excludingPrefixes: [])
            #expect(unfiltered == [id["alice"]!: 300, id["bob"]!: 80, id["carol"]!: 90])
            #expect(try await audit.lastActivity(userIds: [], window: 10, excludingPrefixes: excluded).isEmpty)
        }
    }

    func insertGrant(_ oauth: any OAuthStore, id: String, userId: String, client: String) async throws {
        let now = Timestamp.now
        try await oauth.insertGrant(
            OAuthGrantRecord(
                id: id, userId: userId, clientId: client, scope: "mcp", resource: "http://x/mcp", createdAt: now),
            code: OAuthCodeRecord(
                codeHash: "code-" + id, grantId: id, clientId: client, userId: userId,
                redirectURI: "http://127.0.0.1/cb", codeChallenge: "c", resource: "http://x/mcp", scope: "mcp",
                createdAt: now, expiresAt: now + 60))
    }
}
