import Foundation
import Storage
import Testing

/// Store rules behind issue 15's identity items: a pending authorize request changes only for its owner, and
/// a configured username belongs to the first (tenant id, object id) that claims it.
@Suite("Authorization store rules")
struct AuthorizationStoreTests {
    @Test(
        "takePending and rekeyPending leave another user's pending request untouched", arguments: TestDatabases.backends
    )
    func pendingOwner(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let owner = try await users.upsertUser(
                tenantId: "t1", objectId: "o1", username: "dana@contoso.test", displayName: "Dana")
            let other = try await users.upsertUser(
                tenantId: "t1", objectId: "o2", username: "eve@contoso.test", displayName: "Eve")
            let store = SQLOAuthStore(database: database)
            let now = Timestamp.now
            try await store.insertPending(
                PendingAuthorizationRecord(
                    idHash: "h1", clientId: "c", redirectURI: "http://127.0.0.1/cb", codeChallenge: "x",
                    resource: "r", scope: "mcp", state: nil, userId: owner.id, createdAt: now, expiresAt: now + 600))
            let stolen = try await store.takePending(idHash: "h1", userId: other.id)
            #expect(stolen == nil)
            let rekeyedByOther = try await store.rekeyPending(idHash: "h1", to: "h2", userId: other.id)
            #expect(rekeyedByOther == false)
            let stillThere = try await store.pending(idHash: "h1", now: now)
            #expect(stillThere != nil, "still there for its owner")
            let rekeyed = try await store.rekeyPending(idHash: "h1", to: "h2", userId: owner.id)
            #expect(rekeyed)
            let oldHandle = try await store.pending(idHash: "h1", now: now)
            #expect(oldHandle == nil)
            let taken = try await store.takePending(idHash: "h2", userId: owner.id)
            #expect(taken?.userId == owner.id)
            let again = try await store.takePending(idHash: "h2", userId: owner.id)
            #expect(again == nil, "single use")
        }
    }

    @Test("a username is bound to the first principal that claims it", arguments: TestDatabases.backends)
    func usernameBinding(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let bindings = SQLUsernameBindingStore(database: database)
            let first = try await bindings.claim(username: "Admin@Contoso.test", tenantId: "T1", objectId: "O1", now: 1)
            #expect(first)
            let sameAgain = try await bindings.claim(
                username: "admin@contoso.test", tenantId: "t1", objectId: "o1", now: 2)
            #expect(sameAgain)
            let someoneElse = try await bindings.claim(
                username: "admin@contoso.test", tenantId: "t1", objectId: "o2", now: 3)
            #expect(someoneElse == false)
            let bound = try await bindings.usernames(tenantId: "t1", objectId: "o1")
            #expect(bound == ["admin@contoso.test"])
            let unbound = try await bindings.usernames(tenantId: "t1", objectId: "o2")
            #expect(unbound.isEmpty)
        }
    }
}
